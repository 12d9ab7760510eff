"""A local stand-in for WeChat's server API (access token + customer-service messages).

For tests and demos only: binds to loopback, records what it receives, never calls out.
`python -m channels.wechat.fake_api --port 18091` runs it; `GET /_sent` lists the messages.
"""

from __future__ import annotations

import argparse
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx

if TYPE_CHECKING:
    from typing import Self


class FakeWeChatApi:
    """Thread-backed HTTP server; use as a context manager or start()/stop()."""

    def __init__(
        self,
        appid: str = "wx-test",
        secret: str = "test-secret",
        host: str = "127.0.0.1",
        port: int = 0,
        expires_in: int = 7200,
    ) -> None:
        self.appid = appid
        self.secret = secret
        self.expires_in = expires_in
        self.sent: list[dict[str, Any]] = []
        self.menu: dict[str, Any] | None = None  # the last menu installed (/cgi-bin/menu/create)
        self.token_requests = 0
        self.valid_tokens: set[str] = set()
        self._lock = threading.Lock()
        self._address = (host, port)
        self._server: ThreadingHTTPServer | None = None  # bound only by start()
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("start() the fake API first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeWeChatApi:
        self._server = ThreadingHTTPServer(self._address, self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def revoke_tokens(self) -> None:
        """Make every issued token invalid (to test errcode 40001 handling)."""
        with self._lock:
            self.valid_tokens.clear()

    def transport(self) -> httpx.MockTransport:
        """The same fake as an in-process httpx transport (unit tests, no socket)."""

        def handle(request: httpx.Request) -> httpx.Response:
            query = parse_qs(request.url.query.decode("ascii"))
            if request.method == "GET" and request.url.path == "/cgi-bin/token":
                status, data = self._token(query)
            elif request.method == "POST" and request.url.path == "/cgi-bin/message/custom/send":
                status, data = self._send(query, request.content)
            elif request.method == "POST" and request.url.path == "/cgi-bin/menu/create":
                status, data = self._menu(query, request.content)
            else:
                status, data = 404, {"errcode": 404, "errmsg": "not found"}
            return httpx.Response(status, json=data)

        return httpx.MockTransport(handle)

    # -- request handling ---------------------------------------------------------------------
    def _token(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        appid = query.get("appid", [""])[0]
        secret = query.get("secret", [""])[0]
        if query.get("grant_type", [""])[0] != "client_credential":
            return 200, {"errcode": 40002, "errmsg": "invalid grant_type"}
        if appid != self.appid or secret != self.secret:
            return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
        token = secrets.token_hex(16)
        with self._lock:
            self.token_requests += 1
            self.valid_tokens.add(token)
        return 200, {"access_token": token, "expires_in": self.expires_in}

    def _token_error(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]] | None:
        """WeChat's answer to a call without a valid access_token; None when the token is valid."""
        token = query.get("access_token", [""])[0]
        with self._lock:
            valid = token in self.valid_tokens
        return None if valid else (200, {"errcode": 40001, "errmsg": "invalid credential"})

    def _send(self, query: dict[str, list[str]], body: bytes) -> tuple[int, dict[str, Any]]:
        if refused := self._token_error(query):
            return refused
        try:
            message = json.loads(body.decode("utf-8"))
        except ValueError:
            return 200, {"errcode": 47001, "errmsg": "data format error"}
        with self._lock:
            self.sent.append(message)
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _menu(self, query: dict[str, list[str]], body: bytes) -> tuple[int, dict[str, Any]]:
        """Like WeChat: a valid token, 1-3 top-level buttons of at most 5 sub-buttons, click keys."""
        if refused := self._token_error(query):
            return refused
        try:
            menu = json.loads(body.decode("utf-8"))
            buttons = menu["button"]
            assert 1 <= len(buttons) <= 3
            for button in buttons:
                for item in button.get("sub_button", [button]):
                    assert len(button.get("sub_button", [])) <= 5
                    assert item["type"] != "click" or 1 <= len(item["key"].encode()) <= 128
        except (ValueError, KeyError, TypeError, AssertionError, AttributeError):
            return 200, {"errcode": 40016, "errmsg": "invalid button size or format"}
        with self._lock:
            self.menu = menu
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, data: Any) -> None:
                raw = json.dumps(data, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/cgi-bin/token":
                    self._reply(*api._token(parse_qs(url.query)))
                elif url.path == "/_sent":
                    with api._lock:
                        self._reply(200, list(api.sent))
                else:
                    self._reply(404, {"errcode": 404, "errmsg": "not found"})

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
                body = self.rfile.read(length)
                if url.path == "/cgi-bin/message/custom/send":
                    self._reply(*api._send(parse_qs(url.query), body))
                elif url.path == "/cgi-bin/menu/create":
                    self._reply(*api._menu(parse_qs(url.query), body))
                elif url.path == "/_reset":
                    with api._lock:
                        api.sent.clear()
                    self._reply(200, {"errcode": 0})
                else:
                    self._reply(404, {"errcode": 404, "errmsg": "not found"})

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: tests read `sent` instead

        return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake WeChat server API on loopback")
    parser.add_argument("--port", type=int, default=18091)
    parser.add_argument("--appid", default="wx-test")
    parser.add_argument("--secret", default="test-secret")
    args = parser.parse_args(argv)
    api = FakeWeChatApi(args.appid, args.secret, port=args.port).start()
    print(f"fake WeChat API on {api.base_url} (appid={args.appid})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        api.stop()


if __name__ == "__main__":
    main()
