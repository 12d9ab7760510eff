"""web.serve: path safety, generated /config.js, content types and security headers."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from web.serve import (
    WEB_ROOT,
    ServeConfig,
    WidgetServer,
    config_script,
    normalise_bot_url,
    parse_args,
    resolve_path,
    security_headers,
)

BOT = "http://bot.example:5005"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small web root next to a secret file that must never be served (read-only)."""
    tmp_path = tmp_path_factory.mktemp("web")
    (tmp_path / "secret.txt").write_text("top secret")
    root = tmp_path / "site"
    (root / "vendor").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "index.html").write_text("<!doctype html><title>home</title>")
    (root / "app.js").write_text("console.log(1)")
    (root / "style.css").write_text("body{}")
    (root / "vendor" / "lib.js").write_text("var lib")
    (root / "serve.py").write_text("print('source')")
    (root / ".env").write_text("TOKEN=1")
    (root / "notes.md").write_text("# notes")
    (root / "escape.txt").symlink_to(tmp_path / "secret.txt")
    return root


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[tuple[str, int]]:
    srv = WidgetServer(ServeConfig(host="127.0.0.1", port=0, bot_url=BOT, root=site))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.server_address[0], srv.server_address[1]
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def fetch(addr: tuple[str, int], path: str, method: str = "GET") -> tuple[int, dict, bytes]:
    """Send the path exactly as given (http.client does not normalise it)."""
    conn = http.client.HTTPConnection(*addr, timeout=5)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# ------------------------------------------------------------------ pure functions


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://localhost:5005", "http://localhost:5005"),
        ("https://bot.park.example/", "https://bot.park.example"),
        ("  https://park.example/bot/  ", "https://park.example/bot"),
    ],
)
def test_bot_url_is_normalised(raw: str, expected: str) -> None:
    assert normalise_bot_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "localhost:5005",
        "ftp://bot.example",
        "javascript:alert(1)",
        "http://",
        "http://user:pw@bot.example",
        "http://bot.example/?q=1",
        "http://bot.example/#x",
        "http://bot.example:99999",
        "http://bot.example:port",
        "http://bot.example; script-src *",
        "http://bot.example/'unsafe-inline'",
        'http://bot.example/"</script>',
        "http://bot.example/\nX-Injected: 1",
    ],
)
def test_bad_bot_urls_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_bot_url(raw)


def test_config_script_tells_the_widget_where_the_bot_is() -> None:
    body = config_script(ServeConfig("127.0.0.1", 8080, "https://bot.park.example")).decode()
    assert body == (
        'window.ParkChatServerConfig = Object.freeze({"serverUrl": "https://bot.park.example"});\n'
    )


def test_config_script_cannot_close_a_script_element() -> None:
    # normalise_bot_url already refuses this; the generator escapes anyway.
    body = config_script(ServeConfig("127.0.0.1", 8080, "http://x/</script><script>")).decode()
    assert "<" not in body and "\\u003c/script>" in body


def test_csp_lets_pages_reach_only_this_site_and_the_bot() -> None:
    csp = security_headers(ServeConfig("127.0.0.1", 8080, "https://bot.park.example/rasa"))[
        "Content-Security-Policy"
    ]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["connect-src"] == "'self' https://bot.park.example wss://bot.park.example"
    assert directives["script-src"] == "'self'"  # no inline scripts, no eval
    assert directives["default-src"] == "'none'"
    plain = security_headers(ServeConfig("127.0.0.1", 8080, "http://localhost:5005"))
    assert "ws://localhost:5005" in plain["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "index.html"),
        ("/index.html", "index.html"),
        ("/app.js?v=3", "app.js"),
        ("/vendor/lib.js", "vendor/lib.js"),
        ("/%61pp.js", "app.js"),
    ],
)
def test_servable_paths_resolve_inside_the_root(site: Path, path: str, expected: str) -> None:
    assert resolve_path(site, path) == (site / expected).resolve()


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/vendor/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt",
        "/vendor/%2e%2e/%2e%2e/secret.txt",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "//etc/passwd",
        "/etc/passwd",
        "/index.html%00.js",
        "/./index.html",
        "/vendor/",  # a directory: never listed
        "/empty/",
        "/vendor",
        "/.env",
        "/serve.py",  # unknown type: the server's own source is not served
        "/notes.md",
        "/escape.txt",  # a symlink out of the root
        "/missing.js",
        "relative.js",
        "/%252e%252e/secret.txt",  # double-encoded: a literal odd name, not traversal
    ],
)
def test_unsafe_or_unknown_paths_are_refused(site: Path, path: str) -> None:
    assert resolve_path(site, path) is None


def test_the_shipped_pages_and_assets_are_servable() -> None:
    for name in (
        "index.html",
        "chat.html",
        "parkchat.js",
        "parkchat.css",
        "demo.css",
        "favicon.svg",
        "vendor/socket.io.min.js",
    ):
        assert resolve_path(WEB_ROOT, "/" + name) == WEB_ROOT / name, name
    for hidden in ("serve.py", "__init__.py", "vendor/README.md"):
        assert resolve_path(WEB_ROOT, "/" + hidden) is None, hidden


def test_arguments_fall_back_to_environment_then_defaults() -> None:
    assert parse_args([], {}) == ServeConfig("127.0.0.1", 8080, "http://localhost:5005")
    env = {"BOT_HOST": "0.0.0.0", "BOT_WEB_PORT": "9000", "BOT_PUBLIC_URL": "https://bot.example/"}
    assert parse_args([], env) == ServeConfig("0.0.0.0", 9000, "https://bot.example")
    # the bot's URL follows the Rasa port; the former names still work for one release
    assert parse_args([], {"BOT_RASA_PORT": "6005"}).bot_url == "http://localhost:6005"
    assert parse_args([], {"WEB_HOST": "0.0.0.0", "WEB_PORT": "9000"}) == ServeConfig("0.0.0.0", 9000, "http://localhost:5005")
    flags = ["--host", "127.0.0.2", "--port", "18080", "--bot-url", "http://127.0.0.1:15005"]
    assert parse_args(flags, env) == ServeConfig("127.0.0.2", 18080, "http://127.0.0.1:15005")


@pytest.mark.parametrize("argv", [["--bot-url", "javascript:alert(1)"], ["--port", "70000"], ["--port", "x"]])
def test_bad_arguments_exit_with_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(argv, {})
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


def test_a_bad_environment_value_is_a_usage_error_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args([], {"BOT_PUBLIC_URL": "javascript:alert(1)"})
    assert exc.value.code == 2
    assert "BOT_PUBLIC_URL must be an http(s) URL" in capsys.readouterr().err


# ------------------------------------------------------------------ over HTTP


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/config.js", "text/javascript; charset=utf-8"),
        ("/healthz", "text/plain; charset=utf-8"),
    ],
)
def test_content_types(server: tuple[str, int], path: str, content_type: str) -> None:
    status, headers, body = fetch(server, path)
    assert status == 200
    assert headers["content-type"] == content_type
    assert headers["content-length"] == str(len(body))


def test_config_js_over_http(server: tuple[str, int]) -> None:
    status, headers, body = fetch(server, "/config.js")
    assert status == 200
    assert body == config_script(ServeConfig("127.0.0.1", 0, BOT))
    assert headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/vendor/%2e%2e/%2e%2e/secret.txt",
        "/..%2f..%2fetc%2fpasswd",
        "//etc/passwd",
        "/%ff%fe",  # not UTF-8
        "/vendor/",
        "/serve.py",
        "/.env",
        "/escape.txt",
    ],
)
def test_traversal_and_listing_attempts_get_404(server: tuple[str, int], path: str) -> None:
    status, headers, body = fetch(server, path)
    assert status == 404
    assert b"secret" not in body and b"lib.js" not in body
    assert headers["content-type"] == "text/plain; charset=utf-8"


def test_every_response_carries_security_headers(server: tuple[str, int]) -> None:
    for path in ("/", "/missing", "/config.js"):
        _, headers, _ = fetch(server, path)
        assert (
            "connect-src 'self' http://bot.example:5005 ws://bot.example:5005"
            in (headers["content-security-policy"])
        )
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "SAMEORIGIN"
        assert headers["referrer-policy"] == "no-referrer"
        assert "python" not in headers["server"].lower()


def test_head_has_headers_but_no_body(server: tuple[str, int]) -> None:
    status, headers, body = fetch(server, "/app.js", method="HEAD")
    assert status == 200 and body == b""
    assert headers["content-length"] == str(len("console.log(1)"))


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_not_allowed(server: tuple[str, int], method: str) -> None:
    status, headers, _ = fetch(server, "/index.html", method=method)
    assert status == 405
    assert headers["allow"] == "GET, HEAD"
