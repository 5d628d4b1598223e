"""Search context: an index of the catalogue kept in step by catalogue events."""
