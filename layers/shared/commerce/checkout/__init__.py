"""Checkout context: delivery methods and the server-computed, itemised quote."""
