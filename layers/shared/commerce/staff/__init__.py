"""Staff & settings context: staff groups and the permissions they grant, staff sign-in and
accounts (the Cognito staff pool), and browsing the audit log."""
