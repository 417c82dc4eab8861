"""Sentence evidence: terms, idf, sentences and answer types, shared by retrieval and answering."""
