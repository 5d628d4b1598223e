"""Customers context: accounts (through the Cognito customer pool), profiles and address books, and
the back office's customers (directory search, staff notes, disabling accounts)."""
