"""Benchmarks and their helpers (not tests): ``python bench/run.py`` or ``make bench``."""
