"""Staff & settings context: staff groups and the permissions they grant."""
