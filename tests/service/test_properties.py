"""Property test: whatever a client sends, the service answers it with a status below 500.

Every route is read from the app's own `/openapi.json` (a route added later is probed
too). Request bodies mostly follow the route's schema, with hostile strings in every
text field (lone surrogates, NUL, bidi controls, combining marks, long text), and
otherwise are arbitrary JSON or raw bytes (a body nested far deeper than a parser's
recursion limit, invalid UTF-8). They are sent as bytes, the JSON with
`ensure_ascii=True`, so that lone surrogates travel as `\\ud800` escapes as a real client
would send them. Keys, widget keys, Slack signing, CORS and rate limits are configured,
and requests carry a valid API key (or a valid Slack signature) so they reach the
handlers instead of stopping at authentication.

Schemathesis (tests/service/test_fuzz.py) generates schema-valid strings only from
characters JSON encoders keep, so it never sent a lone surrogate; this test does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.app import create_app
from service.settings import (
    AccessSettings,
    CorsSettings,
    RateLimitSettings,
    Settings,
    SlackSettings,
)
from tests.conftest import SAMPLES
from tests.service.test_slack import sign

API_KEY = "api-key-" + "d4" * 12
WIDGET_KEY = "widget-key-" + "e5" * 10
SLACK_SECRET = "test-signing-secret-0123456789abcdef"
ORIGIN = "https://news.example.com"
EXAMPLES = 150
PROBE = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Characters that break code which assumes well-formed, printable, short text.
HOSTILE = [
    "\ud800",  # lone high surrogate: not encodable as UTF-8
    "\udfff",  # lone low surrogate
    "\x00",
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200b",  # zero-width space
    "\u0301",  # combining acute accent
    "\ufeff",
    "\uffff",
    "\U0010ffff",
    "\r\n",
    "%",
    "..",
    "/",
    "\\",
]
_chars = st.one_of(
    st.characters(codec=None, exclude_categories=()),
    st.sampled_from([c for c in HOSTILE if len(c) == 1]),
)
_words = st.sampled_from(["Geneva", "talks", "Starmer", "Ukraine", "the", " ", SAMPLES[0]])
# A question with one hostile character inside it ("talks \ud800 held").
_spiked = st.tuples(_words, st.sampled_from(HOSTILE), _words).map(" ".join)
TEXT = st.one_of(
    _spiked,
    st.text(_chars, max_size=40),
    st.lists(st.one_of(_words, st.sampled_from(HOSTILE)), max_size=8).map("".join),
    st.sampled_from(HOSTILE),
    # Long text: over the question limit, and over the body limit.
    st.sampled_from(["\u0301", "x", "\ud800"]).map(lambda c: "Geneva " + c * 1990),
    st.sampled_from(["a", "\u0301"]).map(lambda c: c * 100_000),
)
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)
# Bodies no generator above makes: nesting past any recursion limit, invalid UTF-8.
RAW = st.sampled_from(
    [
        b"[" * 30_000 + b"]" * 30_000,
        b'{"a":' * 12_000 + b"1" + b"}" * 12_000,
        b'{"question": "\xed\xa0\x80"}',
        b'{"question": "\xff\xfe"}',
        b"\x00",
        b"",
        b'{"question": "\\ud800"',
    ]
)


def resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def example_strings(value: Any) -> set[str]:
    """Every string in the spec's examples (a model id such as "newsrag", a source)."""
    if isinstance(value, dict):
        found = set().union(*(example_strings(v) for v in value.values()))
        for key in ("example", "examples"):
            if key in value:
                found |= _strings(value[key])
        return found
    if isinstance(value, list):
        return set().union(*(example_strings(v) for v in value))
    return set()


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return set().union(*(_strings(v) for v in items))


def from_schema(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """A strategy for values that follow `schema`, with hostile text wherever text goes."""
    known = sorted(example_strings(components))
    schema = resolve(schema, components)
    if depth > 6:
        return JSON_SCALARS
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([from_schema(s, components, depth + 1) for s in schema[key]])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return _object(schema, components, depth)
    if kind == "array":
        items = from_schema(schema.get("items", {}), components, depth + 1)
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=3)
    if kind == "string":
        # The spec's own example strings let a body get past checks of a known value.
        return TEXT | TEXT | st.sampled_from(known or [""])
    if kind == "integer":
        low, high = schema.get("minimum", -(2**63)), schema.get("maximum", 2**63)
        # Mostly in range, so that the rest of the body is what gets tested.
        return st.integers(low, high) | st.integers(low, high) | st.integers()
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return ANY_JSON


def leaves(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths to every scalar in a JSON value."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in leaves(v, (*at, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in leaves(v, (*at, i))]
    return [at]


def replaced(value: Any, at: tuple[Any, ...], new: Any) -> Any:
    if not at:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[at[0]] = replaced(value[at[0]], at[1:], new)
    return copy


def mutated(example: Any) -> Any:
    """The example with one or two of its scalars replaced by hostile values: a body that
    passes every check but the one under test."""
    paths = leaves(example)
    new = st.one_of(TEXT, TEXT, ANY_JSON)
    return st.lists(st.tuples(st.sampled_from(paths), new), min_size=1, max_size=2).map(
        lambda changes: _apply(example, changes)
    )


def _apply(example: Any, changes: list[tuple[tuple[Any, ...], Any]]) -> Any:
    for at, new in changes:
        example = replaced(example, at, new)
    return example


def _object(schema: dict[str, Any], components: dict[str, Any], depth: int) -> Any:
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    fields = {name: from_schema(sub, components, depth + 1) for name, sub in properties.items()}
    generated = st.fixed_dictionaries(
        {k: v for k, v in fields.items() if k in required},
        optional={k: v for k, v in fields.items() if k not in required},
    )
    examples = schema.get("examples") or []
    if not examples:
        return generated
    richest = full_example(schema, components)
    return generated | st.sampled_from([*examples, richest]).flatmap(mutated)


def full_example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The schema's richest example with every field that has an example of its own
    added (`filters.sources`), so that a mutation can reach every field of a valid body."""
    schema = resolve(schema, components)
    examples = schema.get("examples") or []
    if "properties" not in schema:
        return examples[0] if examples else None
    body = dict(max(examples, key=len)) if examples else {}
    for name, sub in schema["properties"].items():
        options = [resolve(s, components) for s in sub.get("anyOf", [sub])]
        nested = next((o for o in options if "properties" in o), None)
        if nested is not None:
            value = full_example(nested, components)
            body[name] = {**value, **body.get(name, {})} if value else body.get(name)
        elif name not in body and sub.get("examples"):
            body[name] = sub["examples"][0]
    return {k: v for k, v in body.items() if v is not None}


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode()


def body_strategy(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """Mostly schema-shaped JSON; sometimes any JSON, sometimes raw bytes."""
    return st.one_of(
        from_schema(schema, components).map(json_bytes),
        from_schema(schema, components).map(json_bytes),
        from_schema(schema, components).map(json_bytes),
        ANY_JSON.map(json_bytes),
        RAW,
    )


def probed_settings(indexed: Settings) -> Settings:
    return indexed.model_copy(
        update={
            "access": AccessSettings(api_keys=API_KEY, widget_keys=WIDGET_KEY),
            "rate_limit": RateLimitSettings(slack_user="1000/minute"),
            "cors": CorsSettings(origins=[ORIGIN]),
            "slack": SlackSettings(
                signing_secret=SLACK_SECRET,
                bot_token="xoxb-test-" + "7" * 24,
                # A closed loopback port: replies fail at once instead of leaving the host.
                api_base="http://127.0.0.1:9/api/",
            ),
        }
    )


@pytest.fixture(scope="module")
def app(indexed: Settings) -> FastAPI:
    return create_app(probed_settings(indexed))


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    # A server error must come back as the response it is, not as an exception here.
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(method, path, JSON request-body schema or None) of every documented operation."""
    found = []
    for path, ops in app.openapi()["paths"].items():
        for method, op in ops.items():
            content = (op.get("requestBody") or {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            found.append((method.upper(), path, schema))
    return found


def check(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:500]}"


def headers(**extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {API_KEY}", "Origin": ORIGIN, **extra}


JSON_ROUTES = [
    ("POST", "/v1/ask"),
    ("POST", "/v1/retrieve"),
    ("POST", "/v1/chat/completions"),
    ("POST", "/v1/feedback"),
]
SLACK_ROUTES = ["/slack/commands", "/slack/events", "/slack/interactions"]


def test_every_route_is_probed(app: FastAPI) -> None:
    """The probes below cover every route with a body (a JSON body, or Slack's own): a new
    route fails here until it is probed."""
    ops = operations(app)
    posted = {(m, p) for m, p, _ in ops if m != "GET"}
    assert posted == set(JSON_ROUTES) | {("POST", p) for p in SLACK_ROUTES}
    for method, path, schema in ops:
        assert method == "GET" or schema is not None or path.startswith("/slack/"), path


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_json_routes_never_fail_with_5xx(
    app: FastAPI, client: TestClient, method: str, path: str
) -> None:
    spec = app.openapi()
    body_schema = next(s for m, p, s in operations(app) if (m, p) == (method, path))
    assert body_schema is not None
    components = spec["components"]["schemas"]

    @PROBE
    @given(body=body_strategy(body_schema, components), stream=st.booleans())
    def probe(body: bytes, stream: bool) -> None:
        accept = "text/event-stream" if stream else "application/json"
        response = client.request(
            method,
            path,
            content=body,
            headers=headers(**{"Content-Type": "application/json", "Accept": accept}),
        )
        check(response, f"{method} {path} {body[:300]!r}")
        # A stream reports a failure in an `error` event after its 200.
        assert '"code": "internal_error"' not in response.text, body[:300]

    probe()


# Percent-escapes a URL may carry that decode to no valid text.
_ESCAPES = st.sampled_from(["%ED%A0%80", "%FF", "%00", "%2F..%2F", "%C0%AF", "%E2%80%AE"])
SEGMENT = st.one_of(
    TEXT.filter(lambda t: len(t) < 300).map(
        lambda t: quote(t.encode("utf-8", "surrogatepass"), safe="")
    ),
    st.lists(st.one_of(_ESCAPES, st.sampled_from(SAMPLES[:2])), min_size=1, max_size=4).map(
        "".join
    ),
)


def test_get_routes_never_fail_with_5xx(app: FastAPI, client: TestClient) -> None:
    gets = [p for m, p, _ in operations(app) if m == "GET"]

    @PROBE
    @given(path=st.sampled_from(gets), segment=SEGMENT, query=SEGMENT)
    def probe(path: str, segment: str, query: str) -> None:
        url = re.sub(r"\{[^}]+\}", segment, path) + f"?q={query}&{query}={query}"
        response = client.get(url, headers=headers())
        check(response, f"GET {url[:300]}")

    probe()


FORM_FIELDS = ["token", "team_id", "user_id", "command", "text", "response_url", "trigger_id"]


def form_bytes(form: dict[str, str]) -> bytes:
    # Lone surrogates travel as the (invalid UTF-8) bytes a broken client would send.
    return urlencode(form, encoding="utf-8", errors="surrogatepass").encode()


SLACK_COMMANDS = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(TEXT, st.just("http://127.0.0.1:9/hook")) for name in FORM_FIELDS
        },
    ).map(form_bytes),
    RAW,
)
EVENT = st.fixed_dictionaries(
    {"type": st.one_of(st.just("app_mention"), ANY_JSON)},
    optional={
        name: st.one_of(ANY_JSON, TEXT)
        for name in ("user", "text", "ts", "thread_ts", "channel", "bot_id", "subtype")
    },
)
SLACK_EVENTS = st.one_of(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["event_callback", "url_verification"])},
        optional={
            "event": st.one_of(EVENT, ANY_JSON),
            "event_id": ANY_JSON,
            "team_id": ANY_JSON,
            "challenge": ANY_JSON,
            "authorizations": st.one_of(
                ANY_JSON,
                st.lists(st.dictionaries(st.sampled_from(["user_id", "is_bot"]), ANY_JSON)),
            ),
        },
    ).map(json_bytes),
    ANY_JSON.map(json_bytes),
    RAW,
)


ACTION = st.fixed_dictionaries(
    {},
    optional={
        name: st.one_of(ANY_JSON, TEXT) for name in ("action_id", "value", "block_id", "type")
    },
)
SLACK_INTERACTIONS = st.one_of(
    st.fixed_dictionaries(
        {"type": st.one_of(st.just("block_actions"), ANY_JSON)},
        optional={
            "actions": st.one_of(st.lists(ACTION, max_size=3), ANY_JSON),
            "user": st.one_of(st.fixed_dictionaries({"id": st.one_of(TEXT, ANY_JSON)}), ANY_JSON),
            "response_url": st.one_of(st.just("http://127.0.0.1:9/hook"), ANY_JSON),
            "message": ANY_JSON,
            "container": ANY_JSON,
        },
    ).map(lambda payload: form_bytes({"payload": json.dumps(payload)})),
    st.dictionaries(st.just("payload"), TEXT).map(form_bytes),
    # Deeper than json.loads can recurse, within the body size limit.
    st.integers(2_000, 9_000).map(lambda n: form_bytes({"payload": "[" * n + "]" * n})),
    RAW,
)


@pytest.mark.parametrize(
    ("path", "bodies", "kind"),
    [
        ("/slack/commands", SLACK_COMMANDS, "application/x-www-form-urlencoded"),
        ("/slack/events", SLACK_EVENTS, "application/json"),
        ("/slack/interactions", SLACK_INTERACTIONS, "application/x-www-form-urlencoded"),
    ],
)
def test_signed_slack_requests_never_fail_with_5xx(
    client: TestClient, path: str, bodies: Any, kind: str
) -> None:
    @PROBE
    @given(body=bodies)
    def probe(body: bytes) -> None:
        signed = {"Content-Type": kind, **sign(body, secret=SLACK_SECRET)}
        response = client.post(path, content=body, headers=signed)
        check(response, f"POST {path} {body[:300]!r}")

    probe()
