"""The OpenAI-compatible routes, driven by the official `openai` client (sync and async,
streamed and not) against the real app in a real uvicorn on loopback."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import openai
import pytest

from devtools.contract import article_text
from service.api.principal import get_principal
from service.app import create_app
from service.ask.followup import SOURCES_HEADING
from service.errors import ServiceError
from service.settings import Settings
from tests.conftest import SAMPLE_DIR
from tests.service.live import serve

MODEL = "newsrag"
QUESTION = "Where were the US-Ukraine talks held?"
TIMEOUT = httpx.Timeout(120.0, connect=10.0)
# The SDK's own timeout type: httpx's before openai 3.63, its httpx2's since.
CLIENT_TIMEOUT = openai.Timeout(120.0, connect=10.0)


@pytest.fixture(scope="module")
def base_url(indexed: Settings) -> Iterator[str]:
    with serve(create_app(indexed)) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=f"{base_url}/v1", api_key="unused", max_retries=0, timeout=CLIENT_TIMEOUT
    ) as c:
        yield c


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def extra(obj: Any, name: str) -> Any:
    """An extension field the openai client keeps as an extra attribute."""
    return (obj.model_extra or {})[name]


def check_answer(content: str, citations: list[dict[str, Any]], abstained: bool) -> str:
    """The contract's invariants for chat content; returns the answer without sources."""
    text, _, sources = content.partition(SOURCES_HEADING)
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", text)]
    assert [c["n"] for c in citations] == list(range(1, len(citations) + 1))
    assert set(markers) == {c["n"] for c in citations}
    for c in citations:
        assert article_text(SAMPLE_DIR / c["source"])[c["start"] : c["end"]] == c["quote"]
        assert f"- [{c['n']}] " in sources and c["source"] in sources
    if abstained:
        assert citations == [] and not sources and "do not" in text
    return text


def test_models_list_one_model(client: openai.OpenAI) -> None:
    models = client.models.list().data
    assert [m.id for m in models] == [MODEL]
    assert client.models.retrieve(MODEL).id == MODEL
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-4o")
    assert caught.value.code == "model_not_found"


def test_answer_with_valid_span_citations(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": "Answer in French."}, user(QUESTION)],
        temperature=0.7,  # accepted and ignored
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content or ""
    citations = extra(choice.message, "citations")
    text = check_answer(content, citations, extra(choice.message, "abstained"))
    assert "Geneva" in text and citations
    assert extra(completion, "request_id") and extra(completion, "abstained") is False
    usage = completion.usage
    assert usage is not None and usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert completion.model == MODEL and completion.id.startswith("chatcmpl-")


def test_stream_adds_up_to_the_final_content(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model=MODEL, messages=[user(QUESTION)])
    chunks = list(
        client.chat.completions.create(
            model=MODEL,
            messages=[user(QUESTION)],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    deltas = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert deltas == whole.choices[0].message.content
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) > 1
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None  # include_usage
    finish = next(c for c in chunks if c.choices and c.choices[0].finish_reason == "stop")
    for carrier in (finish, last):
        citations = extra(carrier, "citations")
        check_answer(deltas, citations, extra(carrier, "abstained"))
        assert citations == extra(whole.choices[0].message, "citations")
        assert extra(carrier, "request_id") == chunks[0].id.removeprefix("chatcmpl-")


def test_async_client_streamed_and_not(base_url: str) -> None:
    async def run() -> tuple[str, str, list[dict[str, Any]]]:
        async with openai.AsyncOpenAI(
            base_url=f"{base_url}/v1", api_key="unused", max_retries=0, timeout=CLIENT_TIMEOUT
        ) as client:
            whole = await client.chat.completions.create(model=MODEL, messages=[user(QUESTION)])
            stream = await client.chat.completions.create(
                model=MODEL, messages=[user(QUESTION)], stream=True
            )
            parts = []
            citations: list[dict[str, Any]] = []
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    parts.append(chunk.choices[0].delta.content)
                if (chunk.model_extra or {}).get("citations") is not None:
                    citations = extra(chunk, "citations")
            return whole.choices[0].message.content or "", "".join(parts), citations

    whole, streamed, citations = asyncio.run(run())
    assert streamed == whole
    check_answer(streamed, citations, abstained=False)


def test_follow_up_uses_the_conversation(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "You are helpful."},
            user("Tell me about the US-Ukraine talks"),
            {
                "role": "assistant",
                "content": "They discussed a peace plan [1].\n\n**Sources**\n- x",
            },
            user("And where were they held?"),
        ],
    )
    message = completion.choices[0].message
    check_answer(message.content or "", extra(message, "citations"), False)
    assert "Geneva" in (message.content or "")


def test_long_history_is_trimmed_not_refused(client: openai.OpenAI) -> None:
    history: list[Any] = []
    for i in range(30):
        history += [user(f"Question {i}?"), {"role": "assistant", "content": f"Answer {i}."}]
    completion = client.chat.completions.create(model=MODEL, messages=[*history, user(QUESTION)])
    assert "Geneva" in (completion.choices[0].message.content or "")


def test_abstention_has_no_sources(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL, messages=[user("How do I bake sourdough bread at home?")]
    )
    message = completion.choices[0].message
    assert extra(message, "abstained") is True and extra(completion, "abstained") is True
    check_answer(message.content or "", extra(message, "citations"), abstained=True)


def test_sources_list_can_be_switched_off_per_request(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL, messages=[user(QUESTION)], extra_body={"sources_list": False}
    )
    message = completion.choices[0].message
    assert SOURCES_HEADING not in (message.content or "")
    assert extra(message, "citations")


def test_errors_come_in_openais_shape(client: openai.OpenAI, base_url: str) -> None:
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="gpt-4o", messages=[user(QUESTION)])
    assert unknown.value.code == "model_not_found" and unknown.value.param == "model"
    assert unknown.value.type == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as not_user:
        client.chat.completions.create(
            model=MODEL, messages=[user(QUESTION), {"role": "assistant", "content": "Hi"}]
        )
    assert "must come from the user" in not_user.value.message
    with pytest.raises(openai.UnprocessableEntityError) as invalid:
        client.chat.completions.create(model=MODEL, messages=[])
    assert invalid.value.param == "messages"
    with pytest.raises(openai.BadRequestError) as too_long:
        client.chat.completions.create(model=MODEL, messages=[user("x" * 2001)])
    assert "limit is 2,000" in too_long.value.message
    for response in (
        httpx.post(f"{base_url}/v1/chat/completions", content=b"{", timeout=TIMEOUT),
        httpx.post(
            f"{base_url}/v1/chat/completions",
            json={"model": MODEL, "messages": [user("y" * 70_000)]},
            timeout=TIMEOUT,
        ),
        httpx.get(f"{base_url}/v1/chat/nothing", timeout=TIMEOUT),
    ):
        assert response.status_code in {404, 413, 422}
        body = response.json()
        assert set(body) == {"error"}
        assert set(body["error"]) == {"message", "type", "param", "code"}
        assert "Traceback" not in response.text
    # The v1 API keeps its own shape.
    contract = httpx.post(f"{base_url}/v1/ask", content=b"{", timeout=TIMEOUT).json()
    assert set(contract) == {"error", "request_id"}


class _Throttled(ServiceError):
    """What access control raises from the principal dependency (shaped by route)."""

    status = 429
    code = "rate_limited"
    headers: ClassVar[dict[str, str]] = {"Retry-After": "7"}


def _throttled() -> None:
    raise _Throttled("Too many requests; retry after 7 seconds.")


def test_errors_from_the_principal_dependency_are_shaped_by_route(indexed: Settings) -> None:
    app = create_app(indexed)
    app.dependency_overrides[get_principal] = _throttled
    with serve(app) as url:
        client = openai.OpenAI(
            base_url=f"{url}/v1", api_key="k", max_retries=0, timeout=CLIENT_TIMEOUT
        )
        with pytest.raises(openai.RateLimitError) as limited:
            client.chat.completions.create(model=MODEL, messages=[user(QUESTION)])
        assert limited.value.type == "rate_limit_error" and limited.value.code == "rate_limited"
        assert limited.value.response.headers["retry-after"] == "7"
        with pytest.raises(openai.RateLimitError):
            client.models.list()
        ask = httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, timeout=TIMEOUT)
        assert ask.status_code == 429 and ask.headers["retry-after"] == "7"
        assert ask.json()["error"]["code"] == "rate_limited" and "request_id" in ask.json()
