"""The worker's garbage collector once start-up has built what lives as long as it does.

A worker's heap is mostly long-lived: the language pipeline, the embedder, the lexical
index's vocabulary, the modules. Python's cyclic collector re-examines all of it in every
full collection, and a question allocates enough (the stored readings of its candidate
chunks, decoded) to start one every hundred or so questions: about 200 ms each at 50k
articles, a stall for whoever asked. Moving the start-up heap to the permanent
generation (`gc.freeze`) takes it out of those passes, and a larger young generation
makes them rarer; both are undone at shutdown, so that an app started and stopped in
one process (the tests) leaves the collector as it found it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

# Allocations between two young-generation collections (CPython's default is 700).
YOUNG_THRESHOLD: Final = 10_000


@contextmanager
def long_lived_heap() -> Iterator[None]:
    """Freeze what exists now and collect less often, until the block ends."""
    previous = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *previous[1:])
    try:
        yield
    finally:
        # An app started while another runs found the setting already made: the one that
        # made it restores it.
        if previous[0] != YOUNG_THRESHOLD:
            gc.set_threshold(*previous)
        gc.unfreeze()
