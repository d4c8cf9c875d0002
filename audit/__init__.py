"""Audit trail: domain events and reads, hash-chained. Knows no other app of ours."""
