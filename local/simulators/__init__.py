"""Local stand-ins for partner systems (the bank, later the warehouse and carriers)."""
