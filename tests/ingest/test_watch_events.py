"""A watcher wakes on the folder's file-system events, not only at its next poll."""

from __future__ import annotations

import threading
from pathlib import Path

from ingest.reader import Listing
from ingest.watch import Watcher

# The next poll is this far away: a run before it was woken by an event.
POLL_S = 120.0
# Bounds on the waits below (each ends as soon as what it waits for happens).
WAIT_S = 20.0
WRITES = 20


def test_a_written_file_wakes_the_watcher_before_its_next_poll(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "one.txt").write_text("First article.\n", "utf-8")
    listings: list[Listing | None] = []
    ran = threading.Condition()

    def run(first: bool, listing: Listing | None) -> bool:
        with ran:
            listings.append(listing)
            ran.notify_all()
        return True

    watcher = Watcher(folder, POLL_S, run)
    thread = threading.Thread(target=watcher.watch, daemon=True)
    thread.start()
    try:
        with ran:
            assert ran.wait_for(lambda: len(listings) == 1, timeout=WAIT_S)
        # The events may start a moment after the first run: write until one is seen.
        for n in range(WRITES):
            (folder / "two.txt").write_text("Second article." * (n + 1), "utf-8")
            with ran:
                if ran.wait_for(lambda: len(listings) >= 2, timeout=1.0):
                    break
        assert len(listings) >= 2, "the write did not wake the watcher"
        last = listings[-1]
        assert last is not None and "two.txt" in [name for name, _, _ in last.files]
    finally:
        watcher.stop()
        thread.join(timeout=WAIT_S)
    assert not thread.is_alive(), "stop() did not end the wait"
