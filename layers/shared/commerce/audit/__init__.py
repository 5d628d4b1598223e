"""The audit log: every staff write, who, what, before and after, when (docs/back-office.md)."""
