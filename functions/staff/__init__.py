"""Staff and settings: staff sign-in for the admin app (auth), staff accounts and groups (manage) and the audit log's browse (audit)."""
