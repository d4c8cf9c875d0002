"""Physical, documentary and digital evidence, its files and its chain of custody."""
