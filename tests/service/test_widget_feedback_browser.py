"""Thumbs under the widget's answers, in a real headless Chromium against the real
service: a reader rates an answer with the keyboard, adds a comment, and the rating
reaches the answer log; the outcome is announced (a live status)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route
from pydantic import SecretStr

from service.api.keys import fingerprint
from service.api.security import STRICT_CSP
from service.app import create_app
from service.core.feedback.store import FeedbackStore, database_url
from service.settings import AccessSettings, FeedbackSettings, Settings
from tests.service.live import serve
from tests.service.test_widget_browser import LABEL, ask, browser  # noqa: F401

API_KEY = "api-key-" + "a1" * 12
WIDGET_KEY = "widget-key-" + "b2" * 10
QUESTION = "Where were the US-Ukraine talks held?"
PAGE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A news page</title>
</head><body><main><h1>A news page</h1></main>
<script src="/widget.js" data-key="{WIDGET_KEY}" defer></script></body></html>"""


@pytest.fixture
def service(indexed: Settings, feedback_url: str) -> Iterator[tuple[str, str]]:
    settings = indexed.model_copy(
        update={
            "access": AccessSettings(api_keys=API_KEY, widget_keys=WIDGET_KEY),
            "feedback": FeedbackSettings(url=SecretStr(feedback_url)),
        }
    )
    with serve(create_app(settings)) as base_url:
        yield base_url, database_url(settings)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    new = context.new_page()
    errors: list[str] = []
    new.on("pageerror", lambda exc: errors.append(str(exc)))
    yield new
    context.close()
    assert errors == [], errors


def test_thumbs_down_with_a_comment_reaches_the_log(page: Page, service: tuple[str, str]) -> None:
    base_url, db_url = service

    # A publisher's page carrying a widget key, under the service's strict policy.
    def publisher(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html",
            body=PAGE,
            headers={"Content-Security-Policy": STRICT_CSP},
        )

    page.route(f"{base_url}/news.html", publisher)
    page.goto(f"{base_url}/news.html")
    page.get_by_label(LABEL).wait_for()
    ask(page, QUESTION)

    group = page.get_by_role("group", name="Rate this answer")
    group.wait_for()
    down = group.get_by_role("button", name="Not helpful")
    assert down.get_attribute("aria-pressed") == "false"
    down.focus()
    page.keyboard.press("Enter")  # the keyboard alone rates
    status = group.get_by_role("status")
    page.wait_for_function(
        "el => el.textContent.includes('not helpful')", arg=status.element_handle()
    )
    assert status.get_attribute("aria-live") == "polite"
    assert down.get_attribute("aria-pressed") == "true"
    assert (
        group.get_by_role("button", name="Helpful", exact=True).get_attribute("aria-pressed")
        == "false"
    )

    comment = group.get_by_label("What was wrong or missing? (optional)")
    comment.fill("It should name the city and the date.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Send comment", reached by Tab
    page.wait_for_function(
        "el => el.textContent.includes('comment was sent')", arg=status.element_handle()
    )

    store = FeedbackStore(db_url, retention_days=90)
    try:
        [record] = store.find()
    finally:
        store.close()
    assert record.rating == "down"
    assert record.comment == "It should name the city and the date."
    assert record.principal == f"widget:{fingerprint(WIDGET_KEY)}"
    assert record.answer.client == "widget" and record.answer.question == QUESTION
