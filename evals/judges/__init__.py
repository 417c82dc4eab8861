"""Support judges: the offline lexical judge (gating) with its frozen text helpers, and the
optional LLM judge (reported apart, never gating)."""
