"""scripts/stack.py's process handling with small stand-in processes (seconds; no servers).

The real servers are in tests/e2e/test_stack.py and tests/e2e/test_shell.py.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from scripts.stack import (
    PortInUse,
    Service,
    StackConfig,
    StopSignals,
    check_port,
    command_name,
    die_with_parent,
    port_in_use,
    reachable,
    served_urls,
)

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(35990, 36000)  # this machine's share of ports for tests


@pytest.fixture
def listening() -> Iterator[int]:
    """A port some other process listens on."""
    for port in PORTS:
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        sock.listen()
        with sock:
            yield port
        return
    pytest.skip(f"no free port in {PORTS}")


def test_a_listening_port_is_in_use_and_named(listening: int) -> None:
    assert port_in_use("127.0.0.1", listening)
    assert port_in_use("0.0.0.0", listening)  # a server on all interfaces would not get it either
    with pytest.raises(PortInUse, match=f"port {listening} is in use by another process .*BOT_RASA_PORT"):
        check_port("rasa", "127.0.0.1", listening, "BOT_RASA_PORT")


def test_a_closed_port_is_free(listening: int) -> None:
    free = next(port for port in PORTS if port != listening and not port_in_use("127.0.0.1", port))
    assert not port_in_use("127.0.0.1", free)
    check_port("rasa", "127.0.0.1", free, "BOT_RASA_PORT")


def test_urls_name_a_host_a_user_can_reach() -> None:
    assert reachable("127.0.0.1") == "127.0.0.1"
    assert reachable("::1") == "[::1]"
    for wildcard in ("0.0.0.0", "::"):
        assert reachable(wildcard) not in ("0.0.0.0", "::", "")
    urls = dict(served_urls(StackConfig.from_env({"BOT_HOST": "0.0.0.0"}), web=True, console=True))
    assert set(urls) == {
        "web widget",
        "staff console",
        "REST webhook",
        "Socket.IO",
        "WeChat webhook",
        "Rasa health",
        "actions health",
    }
    assert not any("0.0.0.0" in url for url in urls.values())
    assert urls["WeChat webhook"].endswith(":5005/webhooks/wechat/webhook")
    assert urls["actions health"] == "http://127.0.0.1:5055/health"
    assert urls["staff console"].startswith(f"http://{reachable('0.0.0.0')}:8090/")


def test_a_failed_command_is_named_as_typed() -> None:
    assert (
        command_name(["/x/.venv-rasa/bin/python", "-m", "scripts.rasa_cli", "train", "--out", "m"])
        == "rasa train"
    )
    assert command_name(["/x/.venv/bin/knowledge", "build"]) == "knowledge build"


def test_only_the_first_signal_interrupts() -> None:
    signals = StopSignals()
    with pytest.raises(KeyboardInterrupt):
        signals._handle(signal.SIGTERM, None)
    assert signals._handle(signal.SIGTERM, None) is None  # the stop goes on
    assert signals._handle(signal.SIGINT, None) is None


# A parent that starts a child the way stack.py does, prints the child's pid and waits.
_PARENT = """
import subprocess, sys, time
from scripts.stack import die_with_parent
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                         start_new_session=True, preexec_fn=die_with_parent())
print(child.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_a_child_dies_with_its_parent_even_by_sigkill() -> None:
    assert die_with_parent() is not None
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    child = psutil.Process(int(parent.stdout.readline()))
    try:
        parent.kill()
        parent.wait()
        child.wait(60)  # raises TimeoutExpired if it outlived its parent
    finally:
        with contextlib.suppress(psutil.Error):
            child.kill()


# A server whose worker ignores SIGTERM and stays when the server exits.
_STUBBORN = """
import signal, subprocess, sys, time
subprocess.Popen([sys.executable, "-c",
                  "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(600)"])
time.sleep(600)
"""


def test_stop_leaves_nothing_of_the_group() -> None:
    lines: list[str] = []
    service = Service("stub", [sys.executable, "-c", _STUBBORN], "http://127.0.0.1:1/", {}, sink=lines.append)
    service.start()
    assert service.process is not None
    deadline = time.monotonic() + 60
    while not any("ready" in line for line in lines) and time.monotonic() < deadline:
        time.sleep(0.1)
    [worker] = psutil.Process(service.process.pid).children()
    service.stop(grace=10)
    worker.wait(60)  # raises TimeoutExpired if it was left running
    assert not service.alive()
