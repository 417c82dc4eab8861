"""Retrieval: the question's vector against the Chroma index, with filters."""
