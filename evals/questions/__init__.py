"""A dataset of single-turn questions: its schema and loader, and the runner that asks and
scores each question (also used, through `score`, by the conversation and negatives runs)."""
