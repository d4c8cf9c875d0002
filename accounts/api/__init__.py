"""The accounts side of the JSON API: API tokens (services) and the caller's own profile."""
