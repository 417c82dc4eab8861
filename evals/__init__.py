"""The evaluation harness package."""
