"""Local stand-ins for partner systems: the bank, the warehouse system and a carrier."""
