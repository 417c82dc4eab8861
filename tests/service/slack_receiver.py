"""A local stand-in for Slack's side of the conversation, on loopback.

Slack itself cannot run here, so this small real HTTP server plays its part: it answers
the Web API methods the bot calls (`chat.postMessage`, `conversations.replies`) under
`/api/`, and accepts `response_url` posts under `/hooks/`, recording every request.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Call:
    method: str  # "chat.postMessage", "conversations.replies" or "response_url"
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class SlackReceiver:
    url: str
    calls: list[Call] = field(default_factory=list)
    # conversations.replies answers: thread ts -> messages, oldest first.
    threads: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.url}/hooks/{name}"

    def record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def of(self, method: str) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.method == method]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout_s: float = 120.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """The first `count` calls of `method` (matching `where`); fails after the timeout."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                found = [
                    c for c in self.calls if c.method == method and (where is None or where(c))
                ]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no {count} {method} call(s) within {timeout_s:.0f} s: {self.calls}"
                    )
                self._changed.wait(left)


def _handler(receiver: SlackReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _reply(self, status: int, payload: Any) -> None:
            data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
            self.send_response(status)
            kind = "text/plain" if isinstance(payload, str) else "application/json"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                parsed: dict[str, Any] = json.loads(raw or "{}")
                return parsed
            return dict(parse_qsl(raw))

        def _handle(self, body: dict[str, Any]) -> None:
            parts = urlsplit(self.path)
            body = {**dict(parse_qsl(parts.query)), **body}
            headers = {k.lower(): v for k, v in self.headers.items()}
            if parts.path.startswith("/hooks/"):
                receiver.record(Call("response_url", parts.path, headers, body))
                self._reply(200, "ok")
            elif parts.path == "/api/chat.postMessage":
                receiver.record(Call("chat.postMessage", parts.path, headers, body))
                self._reply(200, {"ok": True, "channel": body.get("channel"), "ts": "9999.000100"})
            elif parts.path == "/api/conversations.replies":
                receiver.record(Call("conversations.replies", parts.path, headers, body))
                messages = receiver.threads.get(str(body.get("ts")), [])
                self._reply(200, {"ok": True, "messages": messages, "has_more": False})
            else:
                self._reply(404, {"ok": False, "error": "unknown_method"})

        def do_GET(self) -> None:
            self._handle({})

        def do_POST(self) -> None:
            self._handle(self._body())

    return Handler


@contextmanager
def slack_receiver() -> Iterator[SlackReceiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(SlackReceiver("")))
    receiver = SlackReceiver(f"http://127.0.0.1:{server.server_port}")
    server.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
