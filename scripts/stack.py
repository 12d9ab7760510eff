"""Run the whole bot locally: index, Rasa model, action server, Rasa server, web demo.

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
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from knowledge.settings import SettingsError, StackEnv, check, load

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
            public_url=cfg.public_url or f"http://localhost:{cfg.rasa_port}",
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


# --- preparing: index and model -------------------------------------------------------


def build_index(cfg: StackConfig) -> None:
    """`knowledge build` is incremental: a no-op when the articles did not change."""
    cli = cfg.python.parent / "knowledge"
    log("checking the knowledge index (knowledge build)")
    subprocess.run([str(cli), "build"], cwd=ROOT, env=cfg.child_env(), check=True)


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
    command = [str(cfg.rasa), "train", "--config", str(BOT / "config.yml"),
               "--domain", str(BOT / "domain"), "--data", str(BOT / "data"),
               "--out", str(cfg.model_dir), "--fixed-model-name", MODEL_NAME]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=cfg.child_env(), check=True)
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
            start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order
        )
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
        if not self.alive():
            return
        assert self.process is not None
        # The whole process group: rasa-sdk serves from a worker process of its own.
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            log(f"{self.name} did not stop in {grace:.0f} s; killing it")
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def is_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def action_server(cfg: StackConfig) -> Service:
    command = [str(cfg.python), "-W", "ignore::UserWarning:rasa_sdk.utils", "-m", "rasa_sdk",
               "--actions", "actions", "--port", str(cfg.actions_port)]  # fmt: skip
    return Service("actions", command, f"{cfg.actions_url}/health", actions_env(cfg))


def actions_env(cfg: StackConfig) -> dict[str, str]:
    """The action server's environment: one OpenMP thread for the embedding engine.

    A one-line query gains nothing from two threads, and on a busy machine the
    engine's threads waiting for each other turned 15 ms answers into 1.7 s ones
    (measured here). Set OMP_NUM_THREADS yourself to override.
    """
    return {"OMP_NUM_THREADS": "1", **cfg.child_env()}


# `rasa run` takes the API secrets only as options; this launcher appends them from the
# environment (read through the settings table) inside the process, so they never show in
# `ps` or /proc/<pid>/cmdline.
_RASA_WITH_API = """\
import sys
from knowledge.settings import StackEnv
from rasa.__main__ import main
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
        command = [str(cfg.rasa), *options]
    return Service("rasa", command, f"{cfg.rasa_url}/webhooks/rest/", env)


def web_server(cfg: StackConfig) -> Service | None:
    if not (ROOT / "web" / "serve.py").exists():
        return None
    command = [str(cfg.python), "-m", "web.serve", "--host", cfg.host,
               "--port", str(cfg.web_port), "--bot-url", cfg.public_url]  # fmt: skip
    return Service("web", command, f"{cfg.web_url}/", cfg.child_env())


@contextlib.contextmanager
def running(services: Sequence[Service], cfg: StackConfig) -> Iterator[None]:
    """Start services in order, each healthy before the next; stop them in reverse."""
    started: list[Service] = []
    try:
        for service in services:
            service.start()
            started.append(service)
            seconds = service.wait_healthy(cfg.start_timeout)
            log(f"{service.name} healthy after {seconds:.1f} s")
        yield
    finally:
        for service in reversed(started):
            service.stop()
        log("stopped")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the stack exactly like Ctrl-C


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


# --- commands ---------------------------------------------------------------------------


def cmd_run(cfg: StackConfig) -> int:
    started = time.monotonic()
    build_index(cfg)
    train(cfg)
    cfg.tracker_db.parent.mkdir(parents=True, exist_ok=True)
    services = [action_server(cfg), rasa_server(cfg)]
    web = web_server(cfg)
    if web is not None:
        services.append(web)
    with running(services, cfg):
        log(f"ready in {time.monotonic() - started:.0f} s")
        log(f"REST      POST {cfg.rasa_url}/webhooks/rest/webhook")
        log(f"Socket.IO {cfg.rasa_url}/socket.io")
        if cfg.api_enabled:
            log(f"HTTP API  {cfg.rasa_url}/ (authentication required)")
        if web is not None:
            log(f"web demo  {cfg.web_url}/")
        log("stack ready (Ctrl-C to stop)")
        return wait_until_stopped(services)


def cmd_shell(cfg: StackConfig) -> int:
    build_index(cfg)
    train(cfg)
    cfg.tracker_db.parent.mkdir(parents=True, exist_ok=True)
    actions = action_server(cfg)
    services = [] if is_healthy(actions.health_url) else [actions]
    if not services:
        log(f"using the action server already running on port {cfg.actions_port}")
    with running(services, cfg):
        command = [str(cfg.rasa), "shell", "--model", str(cfg.model),
                   "--endpoints", str(cfg.endpoints), "--port", str(cfg.shell_port)]  # fmt: skip
        # The shell owns the terminal; Ctrl-C ends it, then we stop what we started.
        with contextlib.suppress(KeyboardInterrupt):
            return subprocess.run(command, cwd=ROOT, env=cfg.child_env()).returncode
    return 0


def cmd_start_actions(cfg: StackConfig) -> int:
    actions = action_server(cfg)
    os.chdir(ROOT)
    os.execve(actions.command[0], actions.command, dict(actions.env))  # replaces this process


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/stack.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="index, model, action server, Rasa server and web demo")
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
    signal.signal(signal.SIGTERM, _interrupt)
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
        log(f"failed: {' '.join(map(str, exc.cmd[:2]))} exited with {exc.returncode}")
        return exc.returncode or 1
    except RuntimeError as exc:
        log(f"failed: {exc}")
        return 1
    except KeyboardInterrupt:  # during start-up: `running` has already stopped the children
        return 130


if __name__ == "__main__":
    sys.exit(main())
