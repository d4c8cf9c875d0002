"""Criminal cases: registration, qualification, participants, procedural acts, deadlines."""
