"""Catalogue context: products, their variants (SKUs), and catalogue imports."""
