"""Inventory context: stock per SKU per warehouse, what is available to sell, back-order estimates."""
