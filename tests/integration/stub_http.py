"""A loopback HTTP server with programmable answers, for faults a real Prometheus won't produce on demand.

    with StubHTTPServer() as stub:
        stub.reply(500, "oops")                      # every request gets HTTP 500
        stub.reply(200, "{not json", delay_s=2)      # slow and malformed
        ... point a client at stub.url ...
        stub.requests[0].headers["x-scope-orgid"]    # what arrived (names lower-cased)

The server runs in a daemon thread (stdlib ``http.server``); a delayed answer waits on
an event that ``close()`` sets, so shutting down never hangs on a sleeping handler.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    content_type: str = "application/json"
    delay_s: float = 0.0


@dataclass(frozen=True)
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case: HTTP header names are case-insensitive
    form: dict[str, list[str]] = field(default_factory=dict)  # a POST's form body


def prometheus_error(error_type: str, message: str) -> str:
    """A Prometheus API error envelope, as the server sends with HTTP 400/422/503."""
    return json.dumps({"status": "error", "errorType": error_type, "error": message})


def prometheus_matrix(result: list[dict]) -> str:
    """A successful ``query_range`` answer with ``result`` as its matrix."""
    return json.dumps({"status": "success", "data": {"resultType": "matrix", "result": result}})


class StubHTTPServer:
    """Answers every request with the current ``Reply`` and records what it received."""

    def __init__(self) -> None:
        self._reply = Reply(200, prometheus_matrix([]))
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self.requests: list[Received] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="stub-http", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reply(
        self, status: int, body: str, *, content_type: str = "application/json", delay_s: float = 0.0
    ) -> None:
        """Answer all following requests with ``status`` and ``body``, after ``delay_s`` seconds."""
        with self._lock:
            self._reply = Reply(status, body, content_type, delay_s)

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> StubHTTPServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._answer(parse_qs(self.rfile.read(length).decode()))

            def _answer(self, form: dict[str, list[str]] | None = None) -> None:
                parts = urlsplit(self.path)
                with stub._lock:
                    stub.requests.append(
                        Received(
                            self.command,
                            parts.path,
                            parse_qs(parts.query),
                            {name.lower(): value for name, value in self.headers.items()},
                            form or {},
                        )
                    )
                    reply = stub._reply
                if reply.delay_s and stub._closing.wait(reply.delay_s):
                    return
                body = reply.body.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test); nothing left to tell it

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        return Handler
