"""Policy entries for the JSON API routes (issue #7); merged into tests/policy.py."""
POLICY: dict = {}
