"""Policy entries for the audit and export routes (issue #6); merged into tests/policy.py."""

from tests.policy import READERS, Route

# The lead investigator (the sweep's "investigator"), the case's supervisors and its prosecutor; not the
# superior prosecutor of the office, who reads the file but hands it out only once named (rules.py).
EXPORTERS = frozenset({"investigator", "supervisor", "prosecutor"})

POLICY: dict = {
    "cases:history": Route(obj="case", allowed=READERS),
    "cases:export": Route(obj="case", allowed=EXPORTERS),
    "cases:export#post": Route(obj="case", method="POST", allowed=EXPORTERS, ok=200),
}
