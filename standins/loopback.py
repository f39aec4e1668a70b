"""The HTTP plumbing every stand-in shares: a threaded server on 127.0.0.1 that hands each
request to one function and writes back what it returns.

A stand-in is then only its wire format: `handle(request) -> Answer`, or None to drop the
connection without answering (what a client sees when a server dies after acting), and its
lifecycle is `StandIn`'s.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # names in lower case
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    reason: str | None = None  # for statuses http.server has no phrase for (Anthropic's 529)

    @classmethod
    def json(
        cls,
        body: Any,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        content_type: str = "application/json",
        reason: str | None = None,
    ) -> Answer:
        return cls(status, json.dumps(body).encode(), content_type, headers or {}, reason)


Handle = Callable[[Request], Answer | None]


class LoopbackServer:
    """Serve `handle` on 127.0.0.1 (any free port unless one is given) in a daemon thread."""

    def __init__(self, handle: Handle, *, name: str, port: int = 0) -> None:
        self._handle = handle
        self._name = name
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._server = _Server(("127.0.0.1", self._port), _Handler, self._handle)
        # A short poll interval keeps stop() quick; the default half second adds up over a test run.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self._name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"the {self._name} is not running; call start() or use it in a `with` block")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"


class StandIn:
    """A stand-in's lifecycle over its servers: start() (which returns it), stop(), or a `with` block.

    An answer held back on purpose (a slow reply) waits on `_stopping`, which stop() sets, so that it
    ends at once instead of holding up the server's shutdown.
    """

    def __init__(self, *servers: LoopbackServer) -> None:
        self._servers = servers
        self._stopping = threading.Event()

    def start(self) -> Self:
        self._stopping.clear()
        for server in self._servers:
            server.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        for server in self._servers:
            server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_until_interrupted(url: str, settings: str) -> None:
    """For `python -m standins.<name>`: print the running stand-in's URL (for scripts) and the settings
    that reach it (for people), then serve until Ctrl-C."""
    print(url, flush=True)
    print(f"{settings}\nCtrl-C stops.", file=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], handle: Handle):
        super().__init__(address, handler)
        self.handle_request_fn = handle

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-request (its own timeout fired) is routine, not a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query=url.query,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(int(self.headers.get("content-length") or 0)),
        )
        answer = self.server.handle_request_fn(request)
        if answer is None:
            self.close_connection = True
            return
        self.send_response(answer.status, answer.reason)
        self.send_header("content-type", answer.content_type)
        self.send_header("content-length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass  # an access line per request would bury test and console output
