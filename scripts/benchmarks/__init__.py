"""The sections of `make bench` (scripts/bench.py) and the harness that runs them."""
