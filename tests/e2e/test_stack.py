"""scripts/stack.py as a supervisor (`make run`): the servers never outlive it, a taken port is
named, and what it serves is listed with URLs a user can open.

Each test starts the real stack (action server with its workers, Rasa, web demo) with
`scripts/stack.py run` in a process group of its own, as make or a container runs it, and
checks afterwards that none of the processes it started is left and its ports are free.
Ports (environment): E2E_STACK_PORT_BASE (35400): Rasa +5, actions +55, web +80, shell +6.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from scripts.stack import port_in_use

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BASE = int(os.environ.get("E2E_STACK_PORT_BASE") or 35400)
RASA_PORT, ACTIONS_PORT, WEB_PORT, SHELL_PORT = BASE + 5, BASE + 55, BASE + 80, BASE + 6
CONSOLE_PORT = BASE + 90
START_TIMEOUT = float(os.environ.get("E2E_START_TIMEOUT") or 900)
STOP_TIMEOUT = 120  # generous: the supervisor's own grace periods are 10 s per server
READY_LINE = "[stack] stack ready"


def stack_env(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "BOT_HOST": "127.0.0.1",
        "BOT_RASA_PORT": str(RASA_PORT),
        "BOT_ACTIONS_PORT": str(ACTIONS_PORT),
        "BOT_WEB_PORT": str(WEB_PORT),
        "BOT_SHELL_PORT": str(SHELL_PORT),
        "CONSOLE_PORT": str(CONSOLE_PORT),
        "BOT_DATABASE_FILE": str(work / "bot.db"),
        "BOT_TRACKER_DB": str(work / "tracker.db"),
    }


class Supervisor:
    """`scripts/stack.py run` in a session of its own; its output in a file."""

    def __init__(self, work: Path) -> None:
        self.log_path = work / f"stack-{time.monotonic_ns()}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "scripts" / "stack.py"), "run"],
                cwd=ROOT, env=stack_env(work), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.started: list[psutil.Process] = []  # everything below it, once it is ready
        self.names: dict[int, str] = {}  # their command lines

    def text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while READY_LINE not in self.text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the stack did not start (exit {self.process.poll()}):\n{self.text()[-3000:]}")
            time.sleep(1)
        self.started = psutil.Process(self.process.pid).children(recursive=True)
        self.names = {proc.pid: " ".join(proc.cmdline())[:100] for proc in self.started}

    def wait_exit(self) -> int:
        try:
            return self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the supervisor did not exit in {STOP_TIMEOUT} s:\n{self.text()[-3000:]}")

    def cleanup(self) -> None:
        """After a failed test: nothing of this run may disturb the next one."""
        procs = list(self.started)
        if self.process.poll() is None:
            with contextlib.suppress(psutil.Error):
                procs += psutil.Process(self.process.pid).children(recursive=True)
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(STOP_TIMEOUT)
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        self.process.kill()
        self.process.wait()


@pytest.fixture
def supervisors(tmp_path: Path) -> Iterator[list[Supervisor]]:
    """Start supervisors with `supervisors.append(Supervisor(tmp_path))`; all cleaned up after."""
    started: list[Supervisor] = []
    yield started
    for supervisor in started:
        supervisor.cleanup()


def assert_nothing_left(supervisor: Supervisor) -> None:
    names = supervisor.names
    assert len(supervisor.started) >= 4, f"expected the four servers, got {names}"
    _, alive = psutil.wait_procs(supervisor.started, timeout=STOP_TIMEOUT)
    assert not alive, f"left running: {[names[p.pid] for p in alive]}\n{supervisor.text()[-2000:]}"
    for port in (RASA_PORT, ACTIONS_PORT, WEB_PORT, CONSOLE_PORT):
        assert not port_in_use("127.0.0.1", port), f"port {port} still taken"


def wait_until_free(*ports: int, timeout: float = 120) -> None:
    """These ports are in the range the kernel picks clients' ports from: a connection another
    program just closed can hold one for a minute (TIME_WAIT), and no server could bind it."""
    deadline = time.monotonic() + timeout
    while any(port_in_use("127.0.0.1", port) for port in ports) and time.monotonic() < deadline:
        time.sleep(1)


def start(supervisors: list[Supervisor], tmp_path: Path) -> Supervisor:
    wait_until_free(RASA_PORT, ACTIONS_PORT, WEB_PORT)
    supervisor = Supervisor(tmp_path)
    supervisors.append(supervisor)
    supervisor.wait_ready()
    return supervisor


def test_sigterm_twice_stops_everything(supervisors: list[Supervisor], tmp_path: Path) -> None:
    """GNU make passes on a signal its whole group already got: the second must not cut the stop short."""
    supervisor = start(supervisors, tmp_path)
    supervisor.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    supervisor.process.send_signal(signal.SIGTERM)
    assert supervisor.wait_exit() == 0, supervisor.text()[-2000:]
    assert "[stack] stopped" in supervisor.text()
    assert_nothing_left(supervisor)


def test_start_and_stop_three_times_by_sigterm_to_the_group(
    supervisors: list[Supervisor], tmp_path: Path
) -> None:
    """As `docker stop` or a terminal's group kill stops it; every start finds its ports free."""
    for run in range(3):
        supervisor = start(supervisors, tmp_path)
        if run == 0:
            check_what_it_serves(supervisor)
        os.killpg(supervisor.process.pid, signal.SIGTERM)
        assert supervisor.wait_exit() == 0, supervisor.text()[-2000:]
        assert_nothing_left(supervisor)


def check_what_it_serves(supervisor: Supervisor) -> None:
    text = supervisor.text()
    for what in (
        "web widget",
        "REST webhook",
        "Socket.IO",
        "WeChat webhook",
        "Rasa health",
        "actions health",
    ):
        assert f"[stack]   {what} " in text, f"{what} is not listed"
    assert "0.0.0.0" not in text
    assert f"http://127.0.0.1:{RASA_PORT}/webhooks/wechat/webhook" in text
    assert httpx.get(f"http://127.0.0.1:{RASA_PORT}/", timeout=30).status_code == 200  # "Rasa health"
    # A browser opening the action server's root: a plain 404, no traceback in the log.
    root = httpx.get(f"http://127.0.0.1:{ACTIONS_PORT}/", timeout=30)
    assert root.status_code == 404 and "/webhook" in root.json()["error"]
    assert httpx.get(f"http://127.0.0.1:{ACTIONS_PORT}/webhook", timeout=30).status_code == 405
    time.sleep(1)  # the action server's log lines reach the file through a pipe
    assert "Traceback" not in supervisor.text()


def test_sigkill_of_the_supervisor_takes_the_servers_along(
    supervisors: list[Supervisor], tmp_path: Path
) -> None:
    """SIGKILL, the OOM killer: no chance to clean up, the kernel stops the servers (Linux)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux only")
    supervisor = start(supervisors, tmp_path)
    supervisor.process.kill()
    assert supervisor.wait_exit() == -signal.SIGKILL
    assert_nothing_left(supervisor)


class _StaleServer(http.server.BaseHTTPRequestHandler):
    """Answers 200 to everything, like a server left over from an earlier run."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stale_server(request: pytest.FixtureRequest) -> Iterator[int]:
    port = request.param
    wait_until_free(RASA_PORT, ACTIONS_PORT, WEB_PORT, SHELL_PORT)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _StaleServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("stale_server", "command", "setting"),
    [(RASA_PORT, "run", "BOT_RASA_PORT"), (ACTIONS_PORT, "run", "BOT_ACTIONS_PORT"),
     (WEB_PORT, "run", "BOT_WEB_PORT"), (CONSOLE_PORT, "run", "CONSOLE_PORT"), (SHELL_PORT, "shell", "BOT_SHELL_PORT")],
    indirect=["stale_server"],
)  # fmt: skip
def test_a_taken_port_is_named_and_nothing_starts(
    stale_server: int, command: str, setting: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "stack.py"), command],
        cwd=ROOT, env=stack_env(tmp_path), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"port {stale_server} is in use by another process" in output
    assert setting in output
    assert "healthy" not in output and "starting" not in output
    assert "Traceback" not in output
