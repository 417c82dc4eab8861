"""`python -m ingest PATH --watch`: one process that keeps the collection mirroring the folder.

A one-shot run pays for its process start each time: imports, the embedder, the splitter
and the language pipeline (seconds, before any file is read). The watcher pays once, then
polls the folder: every `interval` seconds it lists the supported files with their size
and modification time (a `stat` each, nothing read) and, when that listing differs from
the one its last successful run started from, runs the same incremental job as
`python -m ingest PATH`, which reads only the files whose stat changed. It does not wait
for the next poll to see a change: the folder's file-system events (inotify and its kin,
through watchfiles) wake it at once, and the poll stays as the fallback where events do
not come (a network mount, a watch limit reached). A run that fails
(the store cannot be written, the embedder is unreachable) is reported and retried at the
next poll; SIGINT or SIGTERM end the watcher between runs at once, and during a run stop
it where it is (the next run completes the index, as after any interrupted run).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import watchfiles

from ingest.reader import Listing, list_folder

# Events this close together are one change (an editor's truncate and write).
EVENT_STEP_MS = 100


class Watcher:
    """Runs `run` whenever the folder's listing changed since the last successful run."""

    def __init__(
        self,
        folder: Path,
        interval: float,
        run: Callable[[bool, Listing | None], bool],
    ) -> None:
        """`run(first, listing)` is one ingest run (`first` on the first one) from the
        listing the poll took (None: the folder is gone); it returns False when it failed
        and should be retried at the next poll."""
        self._folder = folder
        self._interval = interval
        self._run = run
        self._stop = threading.Event()
        # Set by a file-system event in the folder, or by `stop`: the wait ends early.
        self._wake = threading.Event()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def watch(self, polls: int | None = None) -> None:
        """Poll until stopped (or `polls` polls have been made)."""
        indexed: Listing | None = None
        first = True
        made = 0
        listening = threading.Event()
        events = threading.Thread(
            target=self._listen, args=(listening,), name="folder-events", daemon=True
        )
        events.start()
        try:
            while not self._stop.is_set() and (polls is None or made < polls):
                made += 1
                # Cleared before the listing: an event during it or the run ends the wait.
                self._wake.clear()
                current = list_folder(self._folder)
                if first or current != indexed:
                    # Taken before the run, which starts from it rather than listing the
                    # folder again: a file changed during it is seen at the next poll.
                    if self._run(first, current):
                        indexed = current
                    first = False
                self._wake.wait(self._interval)
        finally:
            listening.set()

    def _listen(self, done: threading.Event) -> None:
        """Wake the poll on each batch of the folder's file-system events, until `done`.
        Where they cannot be had the poll goes on alone."""
        try:
            for _ in watchfiles.watch(
                self._folder,
                stop_event=done,
                step=EVENT_STEP_MS,
                yield_on_timeout=False,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                self._wake.set()
        except (OSError, RuntimeError):
            return


def stop_on_signals(watcher: Watcher, in_run: Callable[[], bool]) -> None:
    """SIGTERM and SIGINT stop the watcher: at once while it waits; during a run by
    raising KeyboardInterrupt there, as Ctrl-C does in a one-shot run."""

    def handle(signum: int, frame: FrameType | None) -> None:
        watcher.stop()
        if in_run():
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
