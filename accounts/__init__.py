"""Users, units (the organisational tree) and roles."""
