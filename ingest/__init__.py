"""The ingest job: mirror a folder of articles into the Chroma index."""
