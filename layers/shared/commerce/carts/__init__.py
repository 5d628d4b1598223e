"""Carts context: anonymous carts (a bearer cart id) and customers' carts, merged on sign-in,
re-priced from the catalogue and re-checked against stock on every read."""
