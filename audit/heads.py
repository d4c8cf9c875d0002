"""Chain heads as a document to keep outside the database.

A copy of the heads proves later that no event up to them was cut off or rewritten: whoever
holds the database can recompute a whole chain, but not make it pass through a head that
was written down elsewhere before. Export them often (``manage.py audit_heads``) and keep
the files where the database's administrators cannot change them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO

from django.utils import timezone

from .models import ChainHead

FORMAT = "ecase-audit-heads/1"


def heads_document(chains: Iterable[str] | None = None) -> dict:
    heads = ChainHead.objects.filter(seq__gt=0).order_by("chain")
    if chains is not None:
        heads = heads.filter(chain__in=list(chains))
    return {
        "format": FORMAT,
        "exported_at": timezone.now().isoformat(),
        "heads": {name: {"seq": seq, "hash": hash_} for name, seq, hash_ in heads.values_list("chain", "seq", "hash")},
    }


def load_heads(stream: IO[str]) -> dict[str, tuple[int, str]]:
    """{chain: (seq, hash)} from a heads document (also the ``audit/head.json`` of a case-file export)."""
    document = json.load(stream)
    if document.get("format") != FORMAT:
        raise ValueError(f"not an audit heads document (format {document.get('format')!r}, expected {FORMAT!r})")
    return {name: (int(h["seq"]), str(h["hash"])) for name, h in document["heads"].items()}


def merge_heads(*sets: dict[str, tuple[int, str]]) -> dict[str, dict[int, str]]:
    """Several exports merged: per chain, every exported (seq → hash); each one binds the chain."""
    merged: dict[str, dict[int, str]] = {}
    for heads in sets:
        for name, (seq, hash_) in heads.items():
            merged.setdefault(name, {})
            if merged[name].get(seq, hash_) != hash_:
                raise ValueError(f"two exported heads of {name} disagree at seq {seq}")
            merged[name][seq] = hash_
    return merged
