"""Policy entries for the signed-act routes (issue #5); merged into tests/policy.py."""
POLICY: dict = {}
