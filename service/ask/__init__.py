"""The ask use case: retrieve, then answer; above both retrieval and answering."""
