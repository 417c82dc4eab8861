"""The widget in a real headless Chromium (Debian's, driven by Playwright; never a
downloaded browser) against the real service in uvicorn on loopback.

The demo page is served with the service's own strict Content-Security-Policy, so any
inline code or style the widget needed would be refused and reported. Screenshots go to
artifacts/.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, Request, Route, sync_playwright

from devtools.contract import article_text
from service.api.security import STRICT_CSP
from service.app import create_app
from service.settings import AccessSettings, AnswerSettings, LLMSettings, Settings
from tests.conftest import REPO, SAMPLE_DIR
from tests.service.live import serve

ARTIFACTS = REPO / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
QUESTION = "Where were the US-Ukraine talks held?"
LABEL = "Your question (Enter sends, Shift+Enter for a new line)"
# Records what a strict policy refuses; init scripts run outside the page's CSP.
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
    e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""
HOSTILE_CSS = """
* { all: unset !important; font-size: 3px !important; color: transparent !important;
    line-height: 0 !important; box-sizing: content-box !important; }
html, body { display: block !important; }
body * { display: none !important; visibility: hidden !important; opacity: 0 !important;
         transform: scale(0) !important; pointer-events: none !important; }
div, section, button, textarea, mark, a, form { display: none !important; }
#probe { display: block !important; visibility: visible !important; opacity: 1 !important;
         font-size: 21px !important; color: rgb(1, 2, 3) !important; transform: none !important; }
"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("Debian chromium is required in CI (make install-browser)")
    pytest.skip("chromium not installed: `make install-browser`")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def base_url(indexed: Settings) -> Iterator[str]:
    with serve(create_app(indexed)) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    new = context.new_page()
    new.add_init_script(WATCH)
    errors: list[str] = []
    new.on("pageerror", lambda exc: errors.append(str(exc)))
    # Script errors fail the test; the browser's own log of a failed request (which the
    # error test causes on purpose) does not.
    new.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    yield new
    context.close()
    assert errors == [], errors


def open_demo(page: Page, base_url: str) -> None:
    """The demo page, as the service serves it: under its strict CSP."""
    response = page.goto(f"{base_url}/")
    assert response is not None
    assert response.headers["content-security-policy"] == STRICT_CSP
    page.get_by_label(LABEL).wait_for()


def ask(page: Page, question: str, timeout_ms: float = 60_000) -> Locator:
    """Type and send with Enter; wait for the answer's bubble to be done."""
    before = page.locator(".msg.bot").count()
    box = page.get_by_label(LABEL)
    box.fill(question)
    box.press("Enter")
    bubble = page.locator(".msg.bot").nth(before)
    bubble.and_(page.locator("[data-state=done]")).wait_for(timeout=timeout_ms)
    return bubble


def citations(bubble: Locator) -> list[dict[str, Any]]:
    """The citations behind an answer's [n] links."""
    found = []
    for link in bubble.get_by_role("link").all():
        data = link.evaluate("a => ({...a.dataset, label: a.getAttribute('aria-label')})")
        found.append(
            {
                "n": int(data["n"]),
                "source": data["source"],
                "start": int(data["start"]),
                "end": int(data["end"]),
                "published": data["published"] or None,
                "title": data["label"].split(": ", 1)[1],
            }
        )
    return found


def api_ask(base_url: str, question: str, history: list[dict[str, str]] | None = None) -> Any:
    """The same question through the API, for what the extractive answerer says."""
    body = {"question": question, "history": history or []}
    response = httpx.post(f"{base_url}/v1/ask", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def shadow_focus(page: Page) -> dict[str, Any]:
    focused: dict[str, Any] = page.evaluate(
        """() => { const el = document.querySelector('[data-newsrag-widget]')
                                   .shadowRoot.activeElement;
                   return el ? {tag: el.tagName, n: el.dataset.n || null, text: el.textContent}
                             : {tag: null}; }"""
    )
    return focused


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def check_citation_view(page: Page, citation: dict[str, Any]) -> None:
    """The opened passage: title, date, and the quote highlighted in its article text."""
    view = page.get_by_role("region", name=f"[{citation['n']}] {citation['title']}")
    view.wait_for()
    mark = view.locator("mark")
    mark.wait_for()
    text = article_text(SAMPLE_DIR / citation["source"])
    assert mark.text_content() == text[citation["start"] : citation["end"]]
    context = view.locator(".ctx").text_content() or ""
    before = text[max(0, citation["start"] - 150) : citation["start"]]
    after = text[citation["end"] : citation["end"] + 150]
    assert before in context and after in context
    meta = view.locator(".note").first.text_content() or ""
    assert citation["source"] in meta
    if citation["published"]:
        assert citation["published"] in meta


def test_ask_stream_cite_follow_up_and_keyboard(page: Page, base_url: str) -> None:
    open_demo(page, base_url)
    log = page.get_by_role("log")
    assert log.get_attribute("aria-live") == "polite"
    bubble = ask(page, QUESTION)
    # The extractive answerer sends the whole answer as one token event.
    assert bubble.get_attribute("data-token-events") == "1"
    expected = api_ask(base_url, QUESTION)
    assert bubble.text_content() == expected["answer"]  # `done` replaced the tokens
    # Every [n] is a real link; opening one shows the exact span in its article.
    # (A sentence quoted with the one before it repeats its marker: two links, one citation.)
    cited = citations(bubble)
    assert list(dict.fromkeys(c["n"] for c in cited)) == [c["n"] for c in expected["citations"]]
    bubble.get_by_role("link").first.click()
    check_citation_view(page, cited[0])
    screenshot(page, "widget-extractive.png")

    # Escape closes the passage and gives focus back to the link that opened it.
    page.keyboard.press("Escape")
    assert page.get_by_role("region", name=f"[1] {cited[0]['title']}").count() == 0
    assert shadow_focus(page)["n"] == "1"

    # Keyboard only: Shift+Enter is a new line, Enter sends; Enter on a link opens it.
    box = page.get_by_label(LABEL)
    box.focus()
    page.keyboard.type("Tell me about the")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("US-Ukraine talks")
    assert box.input_value() == "Tell me about the\nUS-Ukraine talks"
    box.fill("")

    # A follow-up carries the conversation.
    with page.expect_request(lambda r: r.url.endswith("/v1/ask")) as sent:
        follow = ask(page, "And who welcomed them?")
    history = json.loads(sent.value.post_data or "{}")["history"]
    assert history == [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": expected["answer"]},
    ]
    resolved = api_ask(base_url, "And who welcomed them?", history)
    assert "US-Ukraine talks" in resolved["query"]
    assert follow.text_content() == resolved["answer"]
    follow.get_by_role("link").first.focus()
    page.keyboard.press("Enter")
    check_citation_view(page, citations(follow)[0])
    assert shadow_focus(page)["tag"] == "H3"
    page.keyboard.press("Escape")
    assert shadow_focus(page)["n"] == "1"
    assert page.evaluate("window.__violations") == []


def test_abstention_errors_and_lost_connections_are_shown_kindly(page: Page, base_url: str) -> None:
    open_demo(page, base_url)
    bubble = ask(page, "How do I bake sourdough bread at home?")
    assert "Not found in the articles." in (bubble.text_content() or "")
    assert "abstained" in (bubble.get_attribute("class") or "")
    assert bubble.get_by_role("link").count() == 0

    # The service refuses: its error message, kindly, with a retry button.
    def limited(route: Route, request: Request) -> None:
        route.fulfill(
            status=429,
            headers={"Retry-After": "7", "Content-Type": "application/json"},
            body=json.dumps({"error": {"code": "rate_limited", "message": "Slow down."}}),
        )

    page.route(f"{base_url}/v1/ask", limited)
    box = page.get_by_label(LABEL)
    box.fill(QUESTION)
    box.press("Enter")
    error = page.locator(".msg.bot[data-state=error]")
    error.wait_for()
    assert "try again in 7 s" in (error.text_content() or "")
    page.unroute(f"{base_url}/v1/ask")

    # The connection drops: say so; the retry button asks again and succeeds.
    error.get_by_role("button", name="Try again").click()
    page.locator(".msg.bot[data-state=done]").nth(1).wait_for()
    page.route(f"{base_url}/v1/ask", lambda route: route.abort("internetdisconnected"))
    box.fill(QUESTION)
    box.press("Enter")
    lost = page.locator(".msg.bot[data-state=error]")
    lost.wait_for()
    assert "connection was lost" in (lost.text_content() or "")
    retry = lost.get_by_role("button", name="Try again")
    assert shadow_focus(page)["tag"] == "BUTTON"
    page.unroute(f"{base_url}/v1/ask")
    retry.click()
    page.locator(".msg.bot[data-state=done]").nth(2).wait_for()
    assert page.locator(".msg.bot[data-state=error]").count() == 0
    assert page.evaluate("window.__violations") == []


def serve_html(body: str) -> Callable[[Route], None]:
    def fulfil(route: Route) -> None:
        route.fulfill(content_type="text/html", body=body)

    return fulfil


def hostile_page(base_url: str, with_widget: bool) -> str:
    script = f'<script src="{base_url}/widget.js" defer></script>' if with_widget else ""
    return (
        f"<!doctype html><html><head><style>{HOSTILE_CSS}</style></head><body>"
        f'<p id="probe">The host page.</p><div class="panel">a page div</div>{script}</body></html>'
    )


def test_hostile_page_css_neither_breaks_the_widget_nor_is_broken_by_it(
    page: Page, base_url: str
) -> None:
    probe_style = (
        "() => { const s = getComputedStyle(document.getElementById('probe'));"
        " return [s.fontSize, s.color, s.display, s.fontFamily, s.margin]; }"
    )
    results = {}
    for with_widget in (False, True):
        url = f"{base_url}/hostile-{int(with_widget)}.html"
        body = hostile_page(base_url, with_widget)
        page.route(url, serve_html(body))
        page.goto(url)
        if with_widget:
            page.get_by_label(LABEL).wait_for()
        results[with_widget] = page.evaluate(probe_style)
    assert results[True] == results[False], "the widget changed the page's styles"

    host = page.locator("[data-newsrag-widget]")
    box = host.bounding_box()
    assert box and box["width"] > 250 and box["height"] > 150
    bubble = ask(page, QUESTION)
    size = bubble.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 12 and bubble.is_visible()
    bubble.get_by_role("link").first.click()
    check_citation_view(page, citations(bubble)[0])
    screenshot(page, "widget-hostile-css.png")


WIDGET_KEY = "widget-key-for-the-browser-test"


def test_a_widget_key_is_sent_as_a_bearer_token(browser: Browser, indexed: Settings) -> None:
    """With keys required, the widget given `data-key` answers; without it, the page
    shows the service's 401 message instead of failing silently."""
    access = AccessSettings(api_keys=("an-api-key-for-servers-only",), widget_keys=(WIDGET_KEY,))
    keyed = indexed.model_copy(update={"access": access})
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.add_init_script(WATCH)
    try:
        with serve(create_app(keyed)) as url:
            for name, attrs in (("keyed", f' data-key="{WIDGET_KEY}"'), ("keyless", "")):
                html = (
                    "<!doctype html><html><body><p>embedding page</p>"
                    f'<script src="{url}/widget.js"{attrs} defer></script></body></html>'
                )
                page.route(f"{url}/{name}.html", serve_html(html))
            page.goto(f"{url}/keyless.html")
            page.get_by_label(LABEL).wait_for()
            box = page.get_by_label(LABEL)
            box.fill(QUESTION)
            with page.expect_response(lambda r: r.url.endswith("/v1/ask")) as refused:
                box.press("Enter")
            assert refused.value.status == 401
            error = page.locator(".msg.bot[data-state=error]")
            error.wait_for()
            assert "This site may not use the news service." in (error.text_content() or "")

            page.goto(f"{url}/keyed.html")
            with page.expect_request(lambda r: r.url.endswith("/v1/ask")) as sent:
                bubble = ask(page, QUESTION)
            assert sent.value.headers["authorization"] == f"Bearer {WIDGET_KEY}"
            assert bubble.get_by_role("link").count() >= 1
            # Opening a citation reads the article text with the same key.
            with page.expect_request(lambda r: "/text" in r.url) as read:
                bubble.get_by_role("link").first.click()
            assert read.value.headers["authorization"] == f"Bearer {WIDGET_KEY}"
            check_citation_view(page, citations(bubble)[0])
    finally:
        context.close()


def llm_settings(indexed: Settings, llama_url: str) -> Settings:
    llm = LLMSettings(
        base_url=llama_url,
        model="smollm2",
        max_tokens=48,
        fallback=True,
        first_token_timeout_s=240.0,
        timeout_s=300.0,
        context_tokens=600,
        neighbours=0,
    )
    return indexed.model_copy(update={"llm": llm, "answer": AnswerSettings(mode="llm")})


@pytest.mark.llm_server
def test_llm_answer_streams_token_by_token(
    browser: Browser, indexed: Settings, llama_url: str
) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.add_init_script(WATCH)
    try:
        with serve(create_app(llm_settings(indexed, llama_url))) as url:
            open_demo(page, url)
            bubble = ask(page, QUESTION, timeout_ms=400_000)
            tokens = int(bubble.get_attribute("data-token-events") or 0)
            # Rendered before `done`: done never touches the counter.
            assert tokens >= 2, tokens
            cited = citations(bubble)
            for link in cited:
                assert article_text(SAMPLE_DIR / link["source"])[link["start"] : link["end"]]
            if cited:
                bubble.get_by_role("link").first.click()
                check_citation_view(page, cited[0])
            screenshot(page, "widget-llm.png")
            assert page.evaluate("window.__violations") == []
    finally:
        context.close()
