"""Serve the chat widget, its demo pages and a generated ``/config.js`` (standard library and the
settings table).

Usage::

    python -m web.serve --host 127.0.0.1 --port 8080 --bot-url http://localhost:5005

Configuration (flags win over environment variables, which win over the defaults; the
`WebEnv` rows of the settings table, knowledge/settings.py, listed in README.md):

    BOT_HOST        address to bind           (default 127.0.0.1)
    BOT_WEB_PORT    port to bind              (default 8080)
    BOT_PUBLIC_URL  the Rasa server's URL as the *browser* reaches it (default http://localhost:<BOT_RASA_PORT>)

Only files with a known type inside ``web/`` are served (so this module itself is not): no
directory listings, no dotfiles, no way out of the folder. ``POST /api/feedback`` stores the
widget's 👍/👎 on an answer (web/feedback.py). Every response carries security
headers; the Content-Security-Policy lets pages connect only to this site and the bot.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from knowledge.settings import SettingsError, WebEnv, public_url
from web.feedback import PATH as FEEDBACK_PATH
from web.feedback import FeedbackEndpoint, Reply

log = logging.getLogger(__name__)

WEB_ROOT = Path(__file__).resolve().parent
MAX_FILE_BYTES = 5 * 1024 * 1024  # nothing in web/ is near this; refuse rather than stream

CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class ServeConfig:
    """Everything the server needs, read once at start-up."""

    host: str
    port: int
    bot_url: str
    root: Path = WEB_ROOT

    @property
    def bot_origins(self) -> tuple[str, str]:
        """The bot's origin over HTTP(S) and over WebSocket (socket.io uses both)."""
        parts = urlsplit(self.bot_url)
        ws_scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{parts.scheme}://{parts.netloc}", f"{ws_scheme}://{parts.netloc}"


def normalise_bot_url(raw: str) -> str:
    """Validate the public bot URL; it ends up in a CSP header and in JavaScript."""
    url = raw.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"bot URL must be http(s)://host[:port][/path], got {raw!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("bot URL must not contain credentials, a query or a fragment")
    if any(ch in url for ch in " \"'<>;\\,") or any(ord(ch) < 0x21 for ch in url):
        raise ValueError("bot URL contains characters that are not allowed")
    try:
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError as exc:
        raise ValueError(f"bot URL has an invalid port: {raw!r}") from exc
    return url.rstrip("/")


def config_script(config: ServeConfig) -> bytes:
    """The body of /config.js: tells the widget where the bot is."""
    payload = json.dumps({"serverUrl": config.bot_url}, ensure_ascii=True).replace("<", "\\u003c")
    return f"window.ParkChatServerConfig = Object.freeze({payload});\n".encode("ascii")


def security_headers(config: ServeConfig) -> dict[str, str]:
    http_origin, ws_origin = config.bot_origins
    csp = "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src 'self' {http_origin} {ws_origin}",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "SAMEORIGIN",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


def resolve_path(root: Path, request_path: str) -> Path | None:
    """Map a request path to a servable file inside ``root``, or None (-> 404).

    Refuses traversal (``..`` in any encoding), dotfiles, backslashes, NUL bytes, directories
    (apart from ``/`` -> index.html) and files of unknown type.
    """
    path = unquote(urlsplit(request_path).path, errors="strict")
    if not path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    if path.endswith("/"):
        path += "index.html"
    segments = path.split("/")[1:]
    if any(seg in ("", ".", "..") or seg.startswith(".") for seg in segments):
        return None
    root = root.resolve()
    candidate = root.joinpath(*segments).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    if candidate.suffix.lower() not in CONTENT_TYPES:
        return None
    return candidate


class WidgetRequestHandler(BaseHTTPRequestHandler):
    server: WidgetServer
    server_version = "ParkChatWeb"
    sys_version = ""  # don't advertise the Python version

    def do_GET(self) -> None:
        self._respond(include_body=True)

    def do_HEAD(self) -> None:
        self._respond(include_body=False)

    def _not_allowed(self) -> None:
        self._send(
            HTTPStatus.METHOD_NOT_ALLOWED,
            b"method not allowed\n",
            "text/plain; charset=utf-8",
            extra={"Allow": "GET, HEAD"},
        )

    do_PUT = do_DELETE = do_PATCH = _not_allowed

    def do_POST(self) -> None:
        feedback = self._feedback()
        if feedback is not None:
            forwarded = self.headers.get_all("X-Forwarded-For") or []
            self._reply(feedback.post(self.headers, forwarded, self.client_address[0], self.rfile.read))

    def do_OPTIONS(self) -> None:  # the CORS preflight of embedding sites
        feedback = self._feedback()
        if feedback is not None:
            self._reply(feedback.preflight(self.headers))

    def _feedback(self) -> FeedbackEndpoint | None:
        """The feedback endpoint for its path (None once an error was sent)."""
        if urlsplit(self.path).path != FEEDBACK_PATH:
            self._not_allowed()
            return None
        if self.server.feedback is None:
            self._reply(Reply(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "feedback is not available"}, {}))
            return None
        return self.server.feedback

    def _reply(self, reply: Reply) -> None:
        body = reply.encoded() if reply.body or reply.status != HTTPStatus.NO_CONTENT else b""
        self._send(reply.status, body, "application/json; charset=utf-8", extra=reply.headers)

    def _respond(self, include_body: bool) -> None:
        config = self.server.config
        route = urlsplit(self.path).path
        if route == "/config.js":
            self._send(HTTPStatus.OK, config_script(config), CONTENT_TYPES[".js"], include_body)
            return
        if route == "/healthz":
            self._send(HTTPStatus.OK, b"ok\n", CONTENT_TYPES[".txt"], include_body)
            return
        try:
            target = resolve_path(config.root, self.path)
        except UnicodeDecodeError:
            target = None
        if target is None or target.stat().st_size > MAX_FILE_BYTES:
            self._send(HTTPStatus.NOT_FOUND, b"not found\n", CONTENT_TYPES[".txt"], include_body)
            return
        body = target.read_bytes()
        self._send(HTTPStatus.OK, body, CONTENT_TYPES[target.suffix.lower()], include_body)

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        include_body: bool = True,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # Pages and config change with deployments; revalidate rather than cache stale copies.
        self.send_header("Cache-Control", "no-cache")
        for name, value in {**security_headers(self.server.config), **(extra or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if include_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), format % args)


class WidgetServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, config: ServeConfig, feedback: FeedbackEndpoint | None = None) -> None:
        super().__init__((config.host, config.port), WidgetRequestHandler)
        self.config = config
        self.feedback = feedback


def parse_args(argv: Sequence[str] | None, env: Mapping[str, str] | None = None) -> ServeConfig:
    parser = argparse.ArgumentParser(
        prog="python -m web.serve", description="Serve the chat widget and its demo pages."
    )
    try:
        web = WebEnv.from_env(env)
    except SettingsError as exc:
        parser.error(str(exc))
    parser.add_argument("--host", default=web.host, help="address to bind (env BOT_HOST)")
    parser.add_argument("--port", type=int, default=web.web_port, help="port to bind (env BOT_WEB_PORT)")
    parser.add_argument(
        "--bot-url",
        default=public_url(web.public_url, web.rasa_port),
        help="Rasa server URL as browsers reach it (env BOT_PUBLIC_URL)",
    )
    args = parser.parse_args(argv)
    if not 0 <= int(args.port) <= 65535:
        parser.error(f"port out of range: {args.port}")
    try:
        bot_url = normalise_bot_url(args.bot_url)
    except ValueError as exc:
        parser.error(str(exc))
    return ServeConfig(host=args.host, port=int(args.port), bot_url=bot_url)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = parse_args(argv)
    try:
        feedback: FeedbackEndpoint | None = FeedbackEndpoint.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except Exception:  # the widget still works; votes are answered 503 and the log says why
        log.exception("the feedback endpoint is not available: cannot open the database")
        feedback = None
    try:
        server = WidgetServer(config, feedback)
    except OSError as exc:
        print(f"cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    print(f"Serving {config.root} on http://{host}:{port}/ (bot: {config.bot_url})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
