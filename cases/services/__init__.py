"""Writes on cases: keyword-only arguments, an explicit actor, one transaction, one audit row each."""
