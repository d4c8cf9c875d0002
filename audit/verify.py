"""Walking the audit chains: every link, every head, the triggers and the sealed history.

``verify()`` streams the events of one chain or of all, ordered by (chain, seq), recomputes
each hash in Python and compares:

* ``seq`` runs 1, 2, 3 … without gap or repeat, and the chain's name agrees with the case;
* ``prev_hash`` is the previous event's stored hash (GENESIS for the first);
* the stored ``hash`` is SHA-256(prev_hash ‖ canonical JSON) of the row as it is now;
* the head row of the chain (``ChainHead``) points at the last event;
* every exported head (a copy held outside the database) is still an event of its chain;
* the append-only triggers exist and are enabled, and the history tables match their seals.

Only the first problem of each chain is reported (later links of a chain cut at one place
all fail too); the walk goes on to the next chain.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .models import CANONICAL_FIELDS, GENESIS_HASH, AuditEvent, ChainHead, canonical_bytes, link_hash
from .triggers import missing_triggers

CHUNK = 5000


@dataclass(frozen=True)
class Finding:
    chain: str
    message: str
    seq: int | None = None
    event_id: int | None = None

    def __str__(self) -> str:
        where = self.chain
        if self.seq is not None:
            where += f" seq {self.seq}"
        if self.event_id is not None:
            where += f" (event id {self.event_id})"
        return f"{where}: {self.message}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    chains: int = 0
    events: int = 0
    history_rows: int = 0
    history_unsealed: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        text = f"{self.chains} chains, {self.events} events in {self.seconds:.2f} s ({self.rate:,.0f} events/s)"
        if self.history_rows or self.history_unsealed:
            text += f"; history: {self.history_rows} sealed rows match, {self.history_unsealed} not yet sealed"
        return text


class _ChainWalk:
    """State of one chain while its events stream past."""

    def __init__(self, chain: str):
        self.chain, self.seq, self.hash, self.broken = chain, 0, GENESIS_HASH, False


def _expected_case(chain: str) -> int | None | bool:
    """The case_id a chain's events must carry (None for non-case chains); False if the name is unknown."""
    if chain.startswith("case:"):
        number = chain[5:]
        return int(number) if number.isdigit() else False
    return None


def verify(
    *,
    chain: str | None = None,
    external_heads: dict[str, dict[int, str]] | None = None,
    history: bool = True,
    triggers: bool = True,
) -> Report:
    """Verify one chain (``chain``) or every chain, the heads, the triggers and (for all) the history."""
    report = Report()
    started = time.perf_counter()
    external = dict(external_heads or {})
    if chain is not None:
        external = {k: v for k, v in external.items() if k == chain}
    heads_qs = ChainHead.objects.all() if chain is None else ChainHead.objects.filter(chain=chain)
    heads = {name: (seq, hash_) for name, seq, hash_ in heads_qs.values_list("chain", "seq", "hash")}
    events = AuditEvent.objects.order_by("chain", "seq")
    if chain is not None:
        events = events.filter(chain=chain)
    rows = events.values_list("id", "prev_hash", "hash", *CANONICAL_FIELDS).iterator(chunk_size=CHUNK)

    seen: set[str] = set()
    walk: _ChainWalk | None = None

    def fail(w: _ChainWalk, message: str, seq=None, event_id=None):
        if not w.broken:
            report.findings.append(Finding(w.chain, message, seq, event_id))
            w.broken = True

    def finish(w: _ChainWalk):
        head = heads.get(w.chain)
        if head is None:
            fail(w, "the chain has no head row (deleted?)")
        elif head != (w.seq, w.hash):
            if head[0] > w.seq:
                fail(w, f"the chain ends at seq {w.seq} but its head says {head[0]}: events at the end were removed")
            else:
                fail(w, f"the head row says seq {head[0]} but the chain runs to seq {w.seq}")
        ext = external.get(w.chain)
        if ext and max(ext) > w.seq:
            fail(
                w,
                f"an exported head says seq {max(ext)} but the chain ends at seq {w.seq}: "
                f"the tail of the chain was cut off",
            )

    for event_id, prev_hash, stored_hash, *canonical in rows:
        name, seq = canonical[0], canonical[1]
        if walk is None or walk.chain != name:
            if walk is not None:
                finish(walk)
            walk = _ChainWalk(name)
            seen.add(name)
            report.chains += 1
        report.events += 1
        if walk.broken:
            continue
        expected_seq = walk.seq + 1
        if seq != expected_seq:
            what = "missing" if seq > expected_seq else "repeated"
            fail(walk, f"expected seq {expected_seq} here, found {seq}: events {what} or reordered", seq, event_id)
            continue
        if prev_hash != walk.hash:
            fail(
                walk,
                "prev_hash does not point at the previous event: an event was removed, inserted or "
                "reordered before this one",
                seq,
                event_id,
            )
            continue
        if link_hash(prev_hash, canonical_bytes(*canonical)) != stored_hash:
            fail(walk, "the stored hash does not match the event's content: the event was changed", seq, event_id)
            continue
        case_id = canonical[7]
        if _expected_case(name) is False or _expected_case(name) != case_id:
            fail(walk, f"case_id {case_id} does not belong in chain {name}", seq, event_id)
            continue
        ext = external.get(name)
        if ext and ext.get(seq, stored_hash) != stored_hash:
            fail(walk, "differs from the exported head at this seq: the chain was rewritten", seq, event_id)
            continue
        walk.seq, walk.hash = seq, stored_hash
    if walk is not None:
        finish(walk)

    for name in sorted(set(heads) - seen):
        if heads[name][0] > 0:
            report.findings.append(
                Finding(name, f"the head says seq {heads[name][0]} but the chain has no events left")
            )
    for name in sorted(set(external) - seen):
        if name not in heads or heads[name][0] == 0:
            report.findings.append(
                Finding(name, f"an exported head says seq {max(external[name])} but the chain has no events left")
            )
    if triggers:
        report.findings.extend(Finding("triggers", problem) for problem in missing_triggers())
    report.seconds = time.perf_counter() - started
    if history and chain is None:
        from .history_seal import verify_history

        problems, report.history_rows, report.history_unsealed = verify_history()
        report.findings.extend(Finding("history", problem) for problem in problems)
    return report
