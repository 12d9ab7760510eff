"""A local HTTP server standing in for the officers' WeCom group robot (outside the machine in production)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    """Answers each POST with the next planned (status, body); then with WeCom's success."""

    plan: list[tuple[int, str]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@contextmanager
def receiver(plan: list[tuple[int, str]] | None = None) -> Iterator[Receiver]:
    state = Receiver(list(plan or []))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            state.received.append(json.loads(self.rfile.read(length) or b"null"))
            status, body = state.plan.pop(0) if state.plan else (200, '{"errcode": 0, "errmsg": "ok"}')
            data = body.encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?key=test"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
