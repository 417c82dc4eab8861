"""`python -m ingest` with a kill hook, for the crash-safety tests (never used in production).

Usage: python tests/ingest/kill_ingest.py CHECKPOINT:N FOLDER [OPTIONS]
SIGKILLs this process at the N-th pass of the write step's checkpoint CHECKPOINT
(ingest/write.py), so a test can crash a real ingest at an exact point of the write order.
"""

from __future__ import annotations

import os
import signal
import sys

from ingest.__main__ import main
from ingest.write import CHECKPOINTS, Checkpoint, CheckpointHook


def kill_at(point: str, count: int) -> CheckpointHook:
    passes = 0

    def checkpoint(name: Checkpoint) -> None:
        nonlocal passes
        if name == point:
            passes += 1
            if passes == count:
                os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


if __name__ == "__main__":
    point, _, count = sys.argv[1].partition(":")
    if point not in CHECKPOINTS or not count.isdigit():
        sys.exit(f"usage: kill_ingest.py CHECKPOINT:N FOLDER, CHECKPOINT one of {CHECKPOINTS}")
    sys.exit(main(sys.argv[2:], checkpoint=kill_at(point, int(count))))
