"""A running worker keeps its start-up heap out of the collector's passes; a stopped one
leaves the collector as it found it."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from service.app import create_app
from service.core.heap import YOUNG_THRESHOLD, long_lived_heap
from service.settings import Settings


def test_a_running_app_freezes_its_start_up_heap(settings: Settings) -> None:
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_the_setting_stays_with_the_app_that_made_it() -> None:
    before = gc.get_threshold()
    with long_lived_heap():
        with long_lived_heap():
            pass
        # The inner one (another app in the same process) has stopped.
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.get_threshold() == before
