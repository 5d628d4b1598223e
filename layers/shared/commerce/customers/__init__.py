"""Customers context: accounts (through the Cognito customer pool), profiles and address books."""
