"""The lexical index: BM25, term statistics and vocabulary derived from the chunks, saved
per collection generation; written by the ingest job and workers, read by retrieval."""
