"""What every fake API shares: serving on a free port of 127.0.0.1, the script of faults, and
sending a JSON body (whole, or half of it before the connection goes away)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Self, TypeVar

FaultT = TypeVar("FaultT")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that times out or is killed mid-request resets its connection: expected here.
        return None


class FakeServer(Generic[FaultT]):
    """Start, stop and the fault script of a fake; a subclass names its request handler, whose
    ``fake`` attribute is then this object."""

    def __init__(self) -> None:
        self._faults: list[FaultT | None] = []  # None: answer that request normally
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        """The request handler of this fake (subclasses implement)."""
        raise NotImplementedError

    def start(self) -> str:
        """Serve on a free port of 127.0.0.1 in a daemon thread; returns the base URL."""
        handler = type("Handler", (self.handler_class(),), {"fake": self})
        self._server = QuietServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.url

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(self, fault: FaultT, *, times: int = 1) -> None:
        """Make the next ``times`` requests fail with ``fault``."""
        with self._lock:
            self._faults.extend([fault] * times)

    def next_fault(self) -> FaultT | None:
        """The next scripted fault, if any (taken off the script)."""
        with self._lock:
            return self._faults.pop(0) if self._faults else None


def send_json(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: Mapping[str, Any],
    *,
    content_type: str,
    headers: Mapping[str, str] | None = None,
    drop: bool = False,
) -> None:
    """Answer with ``body`` as JSON; with ``drop``, half the body and then the connection goes
    away, so the client sees a short read."""
    data = json.dumps(body).encode("utf-8")
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        if drop:
            handler.wfile.write(data[: len(data) // 2])
            handler.wfile.flush()
            handler.connection.shutdown(socket.SHUT_RDWR)
            handler.close_connection = True
            return
        handler.wfile.write(data)
    except OSError:
        handler.close_connection = True  # the client gave up first (a timeout): nothing to do
