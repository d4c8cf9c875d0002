"""Policy entries for the audit and export routes (issue #6); merged into tests/policy.py."""
POLICY: dict = {}
