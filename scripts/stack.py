"""Run the whole bot locally: index, Rasa model, action server, Rasa server, web demo, staff console.

    .venv/bin/python scripts/stack.py run            # what `make run` does
    .venv/bin/python scripts/stack.py shell          # chat in the terminal (rasa shell)
    .venv/bin/python scripts/stack.py train          # train the Rasa model if its data changed
    .venv/bin/python scripts/stack.py start-actions  # only the action server, in the foreground

Creates no virtualenv (the Makefile does). Every port and path has an environment
variable (the `StackEnv` rows of knowledge/settings.py, listed in README.md), read once into
`StackConfig`. Before anything starts, every component's settings are checked: a bad value
stops the stack with the variable's name.

Secrets (BOT_API_TOKEN, BOT_JWT_SECRET, WECHAT_*) are passed to the children through
their environment, never on a command line (which every local user can read in `ps`).

The servers never outlive this supervisor: it refuses to start when one of their ports is
taken, stops each server with all its worker processes (SIGTERM to its process group, SIGKILL
after a grace period), ignores further Ctrl-C/SIGTERM while it stops them, and on Linux the
kernel sends each server SIGTERM if the supervisor dies without stopping them (SIGKILL, OOM).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import hashlib
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from knowledge.settings import SettingsError, StackEnv, check, load, public_url

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
MODEL_NAME = "bot"

# Environment for every child: offline, quiet, no telemetry.
QUIET_ENV = {
    "HF_HUB_OFFLINE": "1",
    "RASA_TELEMETRY_ENABLED": "false",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "PYTHONWARNINGS": "ignore",
    "PYTHONUNBUFFERED": "1",
}


class StackConfig(StackEnv):
    """The stack's settings: the table's `StackEnv` (knowledge/settings.py) and what follows from it."""

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, warn: Callable[[str], None] | None = None
    ) -> StackConfig:
        cfg = load(cls, environ, warn=warn)
        return replace(
            cfg,
            public_url=public_url(cfg.public_url, cfg.rasa_port),
            cors=cfg.cors or (f"http://localhost:{cfg.web_port}", f"http://127.0.0.1:{cfg.web_port}"),
        )

    @property
    def python(self) -> Path:
        return Path(sys.executable)

    @property
    def rasa(self) -> Path:
        return ROOT / ".venv-rasa" / "bin" / "rasa"

    @property
    def api_enabled(self) -> bool:
        return bool(self.api_token or self.jwt_secret)

    @property
    def model(self) -> Path:
        return self.model_dir / f"{MODEL_NAME}.tar.gz"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    @property
    def console_url(self) -> str:
        return f"http://{self.host}:{self.console_port}"

    def child_env(self) -> dict[str, str]:
        """Environment of every child; bot/endpoints.yml reads the BOT_* values."""
        env = {**os.environ, **QUIET_ENV}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["BOT_ACTIONS_URL"] = f"{self.actions_url}/webhook"
        env["BOT_TRACKER_DB"] = str(self.tracker_db)
        env["BOT_CORS"] = " ".join(self.cors)  # the Socket.IO channel checks Origin against it
        # rasa-sdk has no --host flag but binds to SANIC_HOST: keep it on loopback.
        env.setdefault("SANIC_HOST", "127.0.0.1")
        # Rasa's training cache would otherwise land in ./.rasa
        env.setdefault("RASA_CACHE_DIRECTORY", str(ROOT / "var" / "cache" / "rasa"))
        return env


def log(message: str) -> None:
    print(f"[stack] {message}", flush=True)


# --- child processes: they die with the supervisor, however it dies ----------------------

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl  # looked up here, not in the forked child
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` asking the kernel for SIGTERM when the supervisor dies, even by SIGKILL.

    SIGTERM, not SIGKILL: a server then stops its own workers as on any `kill` (rasa-sdk's
    workers outlive a SIGKILLed main process). The kernel sends it when the thread that started
    the child ends: start children from the main thread. Linux only (elsewhere: no-op).
    """
    if _PRCTL is None:
        return None
    prctl, parent = _PRCTL, os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if os.getppid() != parent:  # the supervisor died before the request was made
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signum)


def group_gone(group: int, timeout: float) -> bool:
    """Wait until no process of `group` is left (workers end shortly after their server)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):  # none left (or another user's: not ours)
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


class StopSignals:
    """Ctrl-C (SIGINT) and SIGTERM stop the stack, once.

    The first one raises KeyboardInterrupt wherever the supervisor is (a wait, a start-up);
    later ones are ignored, so that nothing cuts the stop short: GNU make passes on a signal
    its whole process group already got, so two in a row are normal. Nothing is printed
    here: a handler that prints can hit the print it interrupted.
    """

    def __init__(self) -> None:
        self.stopping = False

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: object) -> None:
        if self.stopping:
            return
        self.stopping = True
        raise KeyboardInterrupt


SIGNALS = StopSignals()


class PortInUse(RuntimeError):
    pass


def port_in_use(host: str, port: int) -> bool:
    """True if a server could not bind `port` on `host`: another process has it."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]  # fmt: skip
    except (OSError, IndexError):
        return False  # an unusable host: the server itself says so
    with socket.socket(family, kind, proto) as probe:
        # As the servers bind: the earlier run's own connections, still closing, do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def check_port(name: str, host: str, port: int, setting: str) -> None:
    if port and port_in_use(host, port):
        raise PortInUse(f"port {port} is in use by another process "
                        f"({name} needs it: stop that process or set {setting})")  # fmt: skip


# --- preparing: index and model -------------------------------------------------------


def build_index(cfg: StackConfig) -> None:
    """`knowledge build` is incremental: a no-op when the articles did not change."""
    cli = cfg.python.parent / "knowledge"
    log("checking the knowledge index (knowledge build)")
    subprocess.run([str(cli), "build"], cwd=ROOT, env=cfg.child_env(), check=True,
                   preexec_fn=die_with_parent())  # fmt: skip


def upgrade_database(cfg: StackConfig) -> None:
    """The bot's database (store/) at the newest schema before anything writes to it."""
    subprocess.run([str(cfg.python), "-m", "store", "upgrade"], cwd=ROOT, env=cfg.child_env(), check=True,
                   stdout=subprocess.DEVNULL, preexec_fn=die_with_parent())  # fmt: skip


def data_fingerprint() -> str:
    """Hash of everything `rasa train` reads: config, domain and training data."""
    digest = hashlib.sha256()
    files = [BOT / "config.yml", *sorted((BOT / "domain").rglob("*.yml"))]
    files += sorted((BOT / "data").rglob("*.yml"))
    for path in files:
        digest.update(str(path.relative_to(BOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def train(cfg: StackConfig, force: bool = False) -> None:
    """Train into <model_dir>/bot.tar.gz unless a model of the same data exists."""
    stamp = cfg.model_dir / f"{MODEL_NAME}.fingerprint"
    fingerprint = data_fingerprint()
    if not force and cfg.model.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        log(f"Rasa model up to date: {cfg.model}")
        return
    log("training the Rasa model (data changed or no model yet)")
    started = time.monotonic()
    cfg.model_dir.mkdir(parents=True, exist_ok=True)
    command = rasa_command(cfg, "train", "--config", str(BOT / "config.yml"),
                           "--domain", str(BOT / "domain"), "--data", str(BOT / "data"),
                           "--out", str(cfg.model_dir), "--fixed-model-name", MODEL_NAME)  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=cfg.child_env(), check=True, preexec_fn=die_with_parent())
    stamp.write_text(fingerprint)
    log(f"trained in {time.monotonic() - started:.0f} s")


# --- running: servers -------------------------------------------------------------------


# "path.py:12: SomeWarning: message" as Python's warnings module prints it.
_PY_WARNING = re.compile(r"^\S+\.py:\d+: \w*Warning: ")
_NOISE = ("Failed to read endpoint configuration",)  # rasa-sdk looking for tracing config


def print_line(line: str) -> None:
    print(line, flush=True)


@dataclass
class Service:
    name: str
    command: list[str]
    health_url: str
    env: Mapping[str, str]
    sink: Callable[[str], None] = print_line  # where its log lines go (tests collect them)
    process: subprocess.Popen[str] | None = None
    port: int = 0  # the port it listens on, checked before it starts (0: no check)
    host: str = "127.0.0.1"  # where it binds that port
    setting: str = ""  # the variable that chooses the port, for the message when it is taken
    _stopped: bool = field(default=False, init=False, repr=False)

    def check_port(self) -> None:
        check_port(self.name, self.host, self.port, self.setting)

    def start(self, extra_env: Mapping[str, str] | None = None) -> None:
        log(f"starting {self.name}")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            # Its own session and process group: Ctrl-C reaches us only and we stop the children
            # in order; stop() signals the group, the server with all its workers.
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        self._stopped = False
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        lines = iter(self.process.stdout)
        for line in lines:
            if _PY_WARNING.match(line):
                # Libraries' deprecation noise: the warning, its message and source line.
                for rest in itertools.islice(lines, 3):
                    if rest.startswith((" ", "\t")):
                        break
                continue
            if not any(noise in line for noise in _NOISE):
                self.sink(f"[{self.name}] {line.rstrip()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_healthy(self, timeout: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited during start-up (see its log above)")
            if is_healthy(self.health_url):
                return time.monotonic() - started
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not healthy after {timeout:.0f} s ({self.health_url})")

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to its process group, SIGKILL after `grace` s; nothing of the group stays."""
        if self.process is None or self._stopped:
            return
        self._stopped = True
        group = self.process.pid  # the server and any processes it started
        if self.process.poll() is None:
            signal_group(group, signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not stop in {grace:.0f} s; killing it")
                signal_group(group, signal.SIGKILL)
                self.process.wait()
        # Workers left by a server that crashed or exited before them would keep its port.
        if not group_gone(group, timeout=5.0):
            signal_group(group, signal.SIGKILL)


def is_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def action_server(cfg: StackConfig, log_level: str = "INFO") -> Service:
    # One process, not rasa-sdk's Sanic manager beside its worker (scripts/action_server.py).
    command = [str(cfg.python), "-W", "ignore::UserWarning:rasa_sdk.utils", "-m", "scripts.action_server",
               "--actions", "actions", "--port", str(cfg.actions_port), "--log-level", log_level]  # fmt: skip
    env = actions_env(cfg)
    return Service("actions", command, f"{cfg.actions_url}/health", env,
                   port=cfg.actions_port, host=env["SANIC_HOST"], setting="BOT_ACTIONS_PORT")  # fmt: skip


def actions_env(cfg: StackConfig) -> dict[str, str]:
    """The action server's environment: one OpenMP thread for the embedding engine.

    A one-line query gains nothing from two threads, and on a busy machine the
    engine's threads waiting for each other turned 15 ms answers into 1.7 s ones
    (measured here). Set OMP_NUM_THREADS yourself to override.
    """
    return {"OMP_NUM_THREADS": "1", **cfg.child_env()}


def rasa_command(cfg: StackConfig, *args: str) -> list[str]:
    """`rasa <args>` without third-party deprecation noise (see scripts/rasa_cli.py)."""
    return [str(cfg.rasa.parent / "python"), "-m", "scripts.rasa_cli", *args]


# `rasa run` takes the API secrets only as options; this launcher appends them from the
# environment (read through the settings table) inside the process, so they never show in
# `ps` or /proc/<pid>/cmdline.
_RASA_WITH_API = """\
import sys
from knowledge.settings import StackEnv
from scripts.rasa_cli import main
api = StackEnv.from_env()
extra = ["--enable-api"]
if api.api_token:
    extra += ["--auth-token", api.api_token]
if api.jwt_secret:
    extra += ["--jwt-secret", api.jwt_secret, "--jwt-method", api.jwt_method]
sys.argv = ["rasa", *sys.argv[1:], *extra]
main()
"""


def rasa_server(cfg: StackConfig) -> Service:
    options = ["run", "--model", str(cfg.model),
               "--interface", cfg.host, "--port", str(cfg.rasa_port),
               "--credentials", str(BOT / "credentials.yml"),
               "--endpoints", str(cfg.endpoints),
               "--cors", *cfg.cors]  # fmt: skip
    env = cfg.child_env()
    # Sanic reads SANIC_* settings from the environment: cap request bodies (default 100 MB).
    env.setdefault("SANIC_REQUEST_MAX_SIZE", str(cfg.max_body_bytes))
    if cfg.api_enabled:
        command = [str(cfg.rasa.parent / "python"), "-c", _RASA_WITH_API, *options]
    else:
        # No --enable-api: Rasa's HTTP API would otherwise be open to anyone who can reach it.
        command = rasa_command(cfg, *options)
    return Service("rasa", command, f"{cfg.rasa_url}/webhooks/rest/", env,
                   port=cfg.rasa_port, host=cfg.host, setting="BOT_RASA_PORT")  # fmt: skip


def web_server(cfg: StackConfig) -> Service | None:
    if not (ROOT / "web" / "serve.py").exists():
        return None
    command = [str(cfg.python), "-m", "web.serve", "--host", cfg.host,
               "--port", str(cfg.web_port), "--bot-url", cfg.public_url]  # fmt: skip
    return Service("web", command, f"{cfg.web_url}/", cfg.child_env(),
                   port=cfg.web_port, host=cfg.host, setting="BOT_WEB_PORT")  # fmt: skip


def console_server(cfg: StackConfig) -> Service | None:
    """The staff console (console/): the database, curated answers, the inbox."""
    if not (ROOT / "console" / "__main__.py").exists():
        return None
    command = [str(cfg.python), "-m", "console", "serve"]
    # One OpenMP thread for its embedding engine, as the action server (see actions_env).
    return Service("console", command, f"{cfg.console_url}/health", {**actions_env(cfg)},
                   port=cfg.console_port, host=cfg.host, setting="CONSOLE_PORT")  # fmt: skip


@contextlib.contextmanager
def running(services: Sequence[Service], cfg: StackConfig) -> Iterator[None]:
    """Start services in order, each healthy before the next; stop them in reverse."""
    started: list[Service] = []
    try:
        for service in services:
            service.check_port()  # else a stale server there would pass for this one
            service.start()
            started.append(service)
            seconds = service.wait_healthy(cfg.start_timeout)
            log(f"{service.name} healthy after {seconds:.1f} s")
        yield
    finally:
        SIGNALS.stopping = True  # from here on a signal must not cut the stop short
        for service in reversed(started):
            service.stop()
        log("stopped")


def wait_until_stopped(services: Sequence[Service]) -> int:
    """Block until Ctrl-C/SIGTERM (exit 0) or until a service dies (exit 1)."""
    try:
        while True:
            for service in services:
                if not service.alive():
                    log(f"{service.name} exited unexpectedly; stopping the stack")
                    return 1
            time.sleep(1.0)
    except KeyboardInterrupt:
        log("stopping")
        return 0


def reachable(host: str) -> str:
    """`host` as a user types it in a URL: the machine's name for a wildcard address."""
    if host in ("", "0.0.0.0", "::"):
        name = socket.gethostname()
        try:
            socket.getaddrinfo(name, None)
        except OSError:
            return "localhost"
        return name
    return f"[{host}]" if ":" in host else host


def served_urls(cfg: StackConfig, web: bool, console: bool = False) -> list[tuple[str, str]]:
    """What `make run` serves, as (what, URL) with hosts a user can reach."""
    rasa = f"http://{reachable(cfg.host)}:{cfg.rasa_port}"
    urls = [
        ("REST webhook", f"POST {rasa}/webhooks/rest/webhook"),
        ("Socket.IO", f"{rasa}/socket.io"),
        ("WeChat webhook", f"{rasa}/webhooks/wechat/webhook"),
        ("Rasa health", f"{rasa}/"),
        ("actions health", f"{cfg.actions_url}/health"),
    ]
    if cfg.api_enabled:
        urls.append(("HTTP API", f"{rasa}/  (authentication required)"))
    if web:
        widget = f"http://{reachable(cfg.host)}:{cfg.web_port}/  (full page: /chat.html)"
        urls.insert(0, ("web widget", widget))
    if console:
        urls.insert(1 if web else 0, ("staff console", f"http://{reachable(cfg.host)}:{cfg.console_port}/  (sign in)"))
    return urls


# --- commands ---------------------------------------------------------------------------


def cmd_run(cfg: StackConfig) -> int:
    started = time.monotonic()
    services = [action_server(cfg), rasa_server(cfg)]
    web = web_server(cfg)
    if web is not None:
        services.append(web)
    console = console_server(cfg)
    if console is not None:
        services.append(console)
    for service in services:
        service.check_port()  # before minutes of indexing and training, not after
    build_index(cfg)
    upgrade_database(cfg)
    train(cfg)
    cfg.tracker_db.parent.mkdir(parents=True, exist_ok=True)
    with running(services, cfg):
        log(f"ready in {time.monotonic() - started:.0f} s")
        for what, url in served_urls(cfg, web is not None, console is not None):
            log(f"  {what:<15} {url}")
        log("stack ready (Ctrl-C to stop)")
        return wait_until_stopped(services)


def cmd_shell(cfg: StackConfig) -> int:
    actions = action_server(cfg, log_level="WARNING")  # its log lines would land inside the conversation
    reuse = is_healthy(actions.health_url)  # e.g. the one `make run` started
    services = [] if reuse else [actions]
    for service in services:
        service.check_port()
    check_port("rasa shell", cfg.host, cfg.shell_port, "BOT_SHELL_PORT")
    build_index(cfg)
    upgrade_database(cfg)
    train(cfg)
    cfg.tracker_db.parent.mkdir(parents=True, exist_ok=True)
    if reuse:
        log(f"using the action server already running on port {cfg.actions_port}")
    with running(services, cfg):
        return run_shell(cfg)


def run_shell(cfg: StackConfig, grace: float = 10.0) -> int:
    """`rasa shell` in the foreground: it owns the terminal (our process group) until it ends."""
    command = rasa_command(cfg, "shell", "--model", str(cfg.model), "--endpoints", str(cfg.endpoints),
                           "--interface", cfg.host, "--port", str(cfg.shell_port))  # fmt: skip
    shell = subprocess.Popen(command, cwd=ROOT, env=cfg.child_env(), preexec_fn=die_with_parent())
    try:
        return shell.wait()
    except KeyboardInterrupt:
        # Ctrl-C at its prompt ends the shell without signalling us; this is a signal to us
        # (Ctrl-C while it thinks, or SIGTERM): stop it, then `running` stops the rest.
        shell.terminate()
        try:
            shell.wait(grace)
        except subprocess.TimeoutExpired:
            shell.kill()
            shell.wait()
        return 0


def cmd_start_actions(cfg: StackConfig) -> int:
    actions = action_server(cfg)
    os.chdir(ROOT)
    os.execve(actions.command[0], actions.command, dict(actions.env))  # replaces this process


def command_name(command: Sequence[str]) -> str:
    """How a user would type the command that failed: "rasa train", "knowledge build"."""
    words = [str(word) for word in command]
    if words[1:3] == ["-m", "scripts.rasa_cli"]:
        words = ["rasa", *words[3:]]
    return f"{Path(words[0]).name} {words[1]}" if len(words) > 1 else words[0]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/stack.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="index, model, action server, Rasa server, web demo and staff console")
    sub.add_parser("shell", help="chat in the terminal (starts the action server if needed)")
    train_parser = sub.add_parser("train", help="train the Rasa model if its data changed")
    train_parser.add_argument("--force", action="store_true", help="train even if up to date")
    sub.add_parser("start-actions", help="run only the action server, in the foreground")
    args = parser.parse_args(argv)
    try:
        # Every component's settings, not only the stack's: a bad value stops the stack here,
        # named, rather than one of the servers later with a traceback.
        check(warn=lambda message: log(f"warning: {message}"))
        cfg = StackConfig.from_env(warn=lambda message: None)  # already told
    except SettingsError as exc:
        for problem in exc.problems:
            log(f"configuration error: {problem}")
        return 2
    SIGNALS.install()
    try:
        if args.command == "run":
            return cmd_run(cfg)
        if args.command == "shell":
            return cmd_shell(cfg)
        if args.command == "train":
            train(cfg, force=args.force)
            return 0
        return cmd_start_actions(cfg)
    except subprocess.CalledProcessError as exc:
        log(f"failed: {command_name(exc.cmd)} exited with {exc.returncode}")
        return exc.returncode or 1
    except RuntimeError as exc:
        log(f"failed: {exc}")
        return 1
    except KeyboardInterrupt:  # during start-up: `running` has already stopped the children
        return 130


if __name__ == "__main__":
    sys.exit(main())
