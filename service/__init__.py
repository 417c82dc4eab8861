"""Question answering over news articles, with span-verified citations."""
