"""The shared core: settings-driven builders for the embedder and the Chroma index.

`ingest` and `evals` import from here; nothing here imports them.
"""
