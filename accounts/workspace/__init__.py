"""The administration workspace at /manage/: units and users, through the audited services."""
