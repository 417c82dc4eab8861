"""The multi-turn conversation set: its schema and loader, and the run that asks every
follow-up turn with its history."""
