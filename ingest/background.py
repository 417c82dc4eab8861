"""Work a watching job leaves to a thread once a run is published (the manifest copy,
removing older lexical indexes): one piece at a time, and whoever needs its result waits.

The threads are not daemons, so the process's exit waits for them too."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Deferred:
    """Runs one piece of work at a time in a thread; `wait` returns once it is done."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self, work: Callable[[], None]) -> None:
        """Run `work` in a thread, after the work started before it is done."""
        self.wait()
        thread = threading.Thread(target=work, name=self._name, daemon=False)
        with self._lock:
            self._thread = thread
        thread.start()

    def wait(self) -> None:
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()
