"""The negatives-only sets (answerable questions with their answers removed from the
corpus): the schema and loader, and the run over one index per excluded set."""
