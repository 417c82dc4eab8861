"""Answerers: turn retrieved chunks into a cited answer (extractive or LLM)."""
