"""Throwaway PostgreSQL and Redis servers, a two-server Rasa cluster, and a lock hammer.

Used by tests/integration/test_scaleout.py. Everything binds to 127.0.0.1 on ports from
SCALEOUT_PORT_BASE (default 25000; see `Ports`), keeps its data in a fresh folder under
/tmp and is stopped by the process that started it.

Binaries: `initdb`/`postgres`/`createdb`/`pg_isready` from SCALEOUT_PG_BIN, else from
PATH, else Debian's /usr/lib/postgresql/<newest>/bin; `redis-server` from
SCALEOUT_REDIS_SERVER or PATH (`apt-get install -y postgresql redis-server`, as .ci/run
does). PostgreSQL refuses to run as root, so under root its folder is given to the
`postgres` user (or `nobody`) and the server runs as that user.

Run as a script with the Rasa venv's Python, this module is the lock hammer: several such
processes take one conversation's lock many times at once with Rasa's stock
`RedisLockStore` or with `bot.addons.redis_lock_store.AtomicRedisLockStore`, and report
whether two of them ever held it together or lost an update:

    .venv-rasa/bin/python tests/integration/scaleout_servers.py hammer --store atomic ...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"


# --- ports and binaries -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ports:
    """Every port of the scale-out tests, offsets from one base (SCALEOUT_PORT_BASE)."""

    base: int = 25000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Ports:
        env = os.environ if env is None else env
        return cls(int(env.get("SCALEOUT_PORT_BASE") or cls.base))

    @property
    def postgres(self) -> int:
        return self.base + 432

    @property
    def redis(self) -> int:
        return self.base + 379

    @property
    def actions(self) -> int:
        return self.base + 55

    @property
    def rasa(self) -> tuple[int, int]:
        return self.base + 5, self.base + 6


def ensure_free(port: int) -> None:
    """Fail clearly when someone else listens on a port we are about to use."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex((LOOPBACK, port)) == 0:
            raise RuntimeError(f"port {port} is already in use (set SCALEOUT_PORT_BASE to move)")


def postgres_bin_dir(env: Mapping[str, str] | None = None) -> Path | None:
    """The folder with initdb and postgres, or None when PostgreSQL is not installed."""
    env = os.environ if env is None else env
    candidates: list[Path] = []
    if env.get("SCALEOUT_PG_BIN"):
        candidates.append(Path(env["SCALEOUT_PG_BIN"]))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)  # Debian links into /usr/lib/...
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(
        versions, key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)], reverse=True
    )
    for folder in candidates:
        if all((folder / name).exists() for name in ("initdb", "postgres", "createdb", "pg_isready")):
            return folder
    return None


def redis_server_bin(env: Mapping[str, str] | None = None) -> Path | None:
    env = os.environ if env is None else env
    found = env.get("SCALEOUT_REDIS_SERVER") or shutil.which("redis-server")
    return Path(found) if found and Path(found).exists() else None


def wait_for(check: Any, timeout: float, what: str, alive: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError(f"{what}: the process exited during start-up")
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what}: not ready after {timeout:.0f} s")


def stop_process(process: subprocess.Popen[Any] | None, sig: int = signal.SIGTERM, grace: float = 30) -> None:
    """Stop a child we started (by its PID): `sig` first, SIGKILL after `grace` seconds."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- PostgreSQL ---------------------------------------------------------------------------------


@dataclass
class PostgresServer:
    """A throwaway cluster: initdb, `postgres` in the foreground, one database, password auth."""

    bin_dir: Path
    port: int
    user: str = "rasa"
    database: str = "rasa"
    password: str = field(default_factory=lambda: secrets.token_hex(12))
    folder: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def _run_as(self) -> dict[str, Any]:
        """Popen arguments that drop root (PostgreSQL refuses to run as root)."""
        if os.geteuid() != 0:
            return {}
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            account = pwd.getpwnam("nobody")
        return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def start(self, timeout: float = 120) -> PostgresServer:
        ensure_free(self.port)
        drop = self._run_as()
        # Under /tmp itself: the postgres user must be able to reach its folder.
        self.folder = Path(tempfile.mkdtemp(prefix="scaleout-pg-", dir="/tmp" if drop else None))
        pwfile = self.folder / "pw"
        pwfile.write_text(self.password + "\n")
        if drop:
            for path in (self.folder, pwfile):
                os.chown(path, drop["user"], drop["group"])
        data = self.folder / "data"
        subprocess.run(
            [str(self.bin_dir / "initdb"), "-D", str(data), "-U", self.user, f"--pwfile={pwfile}",
             "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"],
            check=True, capture_output=True, **drop,
        )  # fmt: skip
        log = (self.folder / "postgres.log").open("wb")
        # Durability off: a throwaway test database needs speed, not crash safety.
        self.process = subprocess.Popen(
            [str(self.bin_dir / "postgres"), "-D", str(data), "-p", str(self.port),
             "-c", f"listen_addresses={LOOPBACK}", "-c", "unix_socket_directories=",
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            stdout=log, stderr=subprocess.STDOUT, **drop,
        )  # fmt: skip
        ready = [str(self.bin_dir / "pg_isready"), "-q", "-h", LOOPBACK, "-p", str(self.port)]
        wait_for(lambda: subprocess.run(ready).returncode == 0, timeout, "PostgreSQL", self.alive)
        subprocess.run(
            [str(self.bin_dir / "createdb"), "-h", LOOPBACK, "-p", str(self.port), "-U", self.user, self.database],
            check=True, capture_output=True, env={**os.environ, "PGPASSWORD": self.password},
        )  # fmt: skip
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def env(self) -> dict[str, str]:
        """The variables bot/endpoints.scaleout.yml reads."""
        return {
            "DB_HOST": LOOPBACK,
            "DB_PORT": str(self.port),
            "DB_USER": self.user,
            "DB_PASSWORD": self.password,
            "DB_NAME": self.database,
        }

    def log_tail(self, chars: int = 3000) -> str:
        path = (self.folder or Path("/nonexistent")) / "postgres.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> None:
        stop_process(self.process, signal.SIGINT)  # SIGINT = "fast" shutdown
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


# --- Redis --------------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """`redis-server` in the foreground: loopback, a password, no persistence."""

    binary: Path
    port: int
    password: str = field(default_factory=lambda: secrets.token_hex(12))
    folder: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> RedisServer:
        ensure_free(self.port)
        self.folder = Path(tempfile.mkdtemp(prefix="scaleout-redis-"))
        log = (self.folder / "redis.log").open("wb")
        self.process = subprocess.Popen(
            [str(self.binary), "--port", str(self.port), "--bind", LOOPBACK, "--save", "",
             "--appendonly", "no", "--requirepass", self.password, "--dir", str(self.folder),
             "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for(
            self._pong, timeout, "Redis", lambda: self.process is not None and self.process.poll() is None
        )
        return self

    def _pong(self) -> bool:
        try:
            with socket.create_connection((LOOPBACK, self.port), timeout=1) as conn:
                conn.sendall(f"AUTH {self.password}\r\nPING\r\n".encode())
                time.sleep(0.05)
                return b"+PONG" in conn.recv(256)
        except OSError:
            return False

    def url(self, db: int = 0) -> str:
        return f"redis://:{self.password}@{LOOPBACK}:{self.port}/{db}"

    def env(self) -> dict[str, str]:
        """The variables bot/endpoints.scaleout.yml reads (and the WeChat cache URL)."""
        return {
            "REDIS_HOST": LOOPBACK,
            "REDIS_PORT": str(self.port),
            "REDIS_PASSWORD": self.password,
            "WECHAT_REDIS_URL": self.url(2),
        }

    def stop(self) -> None:
        stop_process(self.process)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


# --- two Rasa servers and one action server, started as scripts/stack.py starts them ------------


@dataclass
class RasaCluster:
    """One action server and two Rasa servers sharing PostgreSQL and Redis.

    Commands and environment come from scripts/stack.py (`action_server`, `rasa_server`), so
    this is what `BOT_ENDPOINTS=... scripts/stack.py run` starts, twice for Rasa; the Rasa
    HTTP API is enabled with a token so the test can read trackers back.
    """

    rasa_urls: tuple[str, ...]
    token: str
    log_path: Path
    services: list[Any]
    log_file: Any = None

    @classmethod
    def start(
        cls, work: Path, ports: Ports, endpoints: Path, env: Mapping[str, str], timeout: float = 600
    ) -> RasaCluster:
        from scripts.stack import StackConfig, action_server, build_index, rasa_server, train

        for port in (ports.actions, *ports.rasa):
            ensure_free(port)
        token = secrets.token_hex(16)
        log_path = work / "cluster.log"
        log_file = log_path.open("a", encoding="utf-8", buffering=1)

        def stack_env(port: int) -> dict[str, str]:
            return {"BOT_RASA_PORT": str(port), "BOT_ACTIONS_PORT": str(ports.actions),
                    "BOT_ENDPOINTS": str(endpoints), "BOT_TRACKER_DB": str(work / "unused.db"),
                    "BOT_START_TIMEOUT": str(timeout)}  # fmt: skip

        configs = [StackConfig.from_env(stack_env(port)) for port in ports.rasa]
        build_index(configs[0])  # incremental: no work when the articles did not change
        train(configs[0])  # no-op when var/models/bot.tar.gz matches the bot's data
        extra = {**env, "BOT_DATABASE_FILE": str(work / "bot.db")}
        actions = action_server(configs[0])
        servers = []
        for number, cfg in enumerate(configs):
            server = rasa_server(cfg)
            server.name = f"rasa-{'ab'[number]}"
            server.command = [*server.command, "--enable-api", "--auth-token", token]
            servers.append(server)
        cluster = cls(tuple(cfg.rasa_url for cfg in configs), token, log_path, [], log_file)
        try:
            for service in (actions, *servers):
                service.sink = cluster.write_log
            actions.start(extra)
            cluster.services.append(actions)
            actions.wait_healthy(timeout)
            for server in servers:  # both load their model at the same time
                server.start(extra)
                cluster.services.append(server)
            for server in servers:
                server.wait_healthy(timeout)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
        self.services.clear()
        if self.log_file is not None:
            self.log_file.close()

    def write_log(self, line: str) -> None:
        # Called from the services' log threads, which may outlive stop() by a line.
        with contextlib.suppress(ValueError, AttributeError):
            self.log_file.write(line + "\n")

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]


# --- the lock hammer (runs in the Rasa venv) ---------------------------------------------------


def hammer_command(
    store: str, redis: RedisServer, conversation: str, tag: str, mode: str = "hammer", **options: Any
) -> list[str]:
    """Command line of one hammer process (with .venv-rasa's Python)."""
    command = [str(ROOT / ".venv-rasa" / "bin" / "python"), str(Path(__file__).resolve()), mode,
               "--store", store, "--port", str(redis.port), "--password", redis.password,
               "--conversation", conversation, "--tag", tag]  # fmt: skip
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    return command


async def _hammer(args: argparse.Namespace) -> dict[str, Any]:
    from rasa.core.lock_store import LockError, RedisLockStore
    from redis import asyncio as redis_asyncio

    if args.store == "atomic":
        from bot.addons.redis_lock_store import AtomicRedisLockStore

        store: Any = AtomicRedisLockStore(host=LOOPBACK, port=args.port, password=args.password, db=1)
    else:
        store = RedisLockStore(host=LOOPBACK, port=args.port, password=args.password, db=1)
    probe = redis_asyncio.Redis(
        host=LOOPBACK, port=args.port, password=args.password, db=0, decode_responses=True
    )
    base = f"hammer:{args.conversation}:"
    # Start together: importing Rasa takes seconds, and the race needs processes in step.
    await probe.incr(base + "ready")
    while int(await probe.get(base + "ready") or 0) < args.processes:
        await asyncio.sleep(0.01)
    stats = {"sections": 0, "overlaps": 0, "lock_errors": 0, "other_errors": 0}

    async def worker(number: int) -> None:
        for turn in range(args.rounds):
            try:
                async with store.lock(args.conversation):
                    if int(await probe.incr(base + "holders")) > 1:
                        stats["overlaps"] += 1
                    # A read-modify-write that only the lock protects.
                    value = int(await probe.get(base + "counter") or 0)
                    await asyncio.sleep(args.hold)
                    await probe.set(base + "counter", value + 1)
                    await probe.rpush(base + "log", f"{args.tag}/{number}/{turn}")
                    await probe.decr(base + "holders")
                    stats["sections"] += 1
            except LockError:
                stats["lock_errors"] += 1
            except Exception:  # reported, not raised: the parent test judges the figures
                stats["other_errors"] += 1

    started_at = time.monotonic()
    tasks = [asyncio.create_task(worker(n)) for n in range(args.tasks)]
    _, stalled = await asyncio.wait(tasks, timeout=args.deadline)
    for task in stalled:  # still waiting for the lock at the deadline: a stalled queue
        task.cancel()
    stats["stalled_tasks"] = len(stalled)
    stats["seconds"] = round(time.monotonic() - started_at, 3)
    return stats


async def _scenarios(args: argparse.Namespace) -> dict[str, Any]:
    """Expiry and cancellation behaviour of the atomic store, timed; the test judges them."""
    from bot.addons.redis_lock_store import AtomicRedisLockStore

    store = AtomicRedisLockStore(host=LOOPBACK, port=args.port, password=args.password, db=1)
    result: dict[str, Any] = {}
    # 1. A holder that crashed (never releases) blocks others only for its lifetime.
    conv = f"{args.conversation}-crash"
    ticket = await store.issue(conv, lock_lifetime=1.0)
    result["crashed_holder_poll"] = await store.poll(conv, ticket, lock_lifetime=1.0)
    started = time.monotonic()
    async with store.lock(conv, lock_lifetime=1.0):
        result["wait_after_crash"] = round(time.monotonic() - started, 3)
    # 2. A cancelled waiter leaves the queue at once: the next one is not held up.
    conv = f"{args.conversation}-cancel"
    order: list[str] = []

    async def turn(name: str, hold: float) -> None:
        async with store.lock(conv):
            order.append(name)
            await asyncio.sleep(hold)

    first = asyncio.create_task(turn("first", 0.3))
    await asyncio.sleep(0.05)
    doomed = asyncio.create_task(turn("cancelled", 0.0))
    await asyncio.sleep(0.05)
    last = asyncio.create_task(turn("last", 0.0))
    await asyncio.sleep(0.05)
    doomed.cancel()
    started = time.monotonic()
    await asyncio.gather(first, last)
    result["order_after_cancel"] = order
    result["wait_after_cancel"] = round(time.monotonic() - started, 3)
    # 3. The release wakes the next turn: with 5 s between looks at the queue, the
    # hand-over still takes milliseconds.
    conv = f"{args.conversation}-handover"
    stamps: dict[str, float] = {}
    patient = AtomicRedisLockStore(
        host=LOOPBACK, port=args.port, password=args.password, db=1, poll_interval=5
    )

    async def timed(name: str, hold: float) -> None:
        async with patient.lock(conv, wait_time_in_seconds=5):
            stamps[name + "_in"] = time.monotonic()
            await asyncio.sleep(hold)
            stamps[name + "_out"] = time.monotonic()

    await asyncio.gather(timed("a", 0.2), timed("b", 0.0))
    result["handover_gap"] = round(stamps["b_in"] - stamps["a_out"], 3)
    # 4. Unreachable Redis: LockError (Rasa's error), not a hang.
    from rasa.core.lock_store import LockError

    dead = AtomicRedisLockStore(host=LOOPBACK, port=args.dead_port, socket_timeout=2)
    try:
        async with dead.lock("x"):
            result["unreachable"] = "acquired?!"
    except LockError as exc:
        result["unreachable"] = f"LockError: {exc}"
    return result


async def _report(args: argparse.Namespace) -> dict[str, Any]:
    """What the hammer processes left in Redis: the counter and the log of critical sections."""
    from redis import asyncio as redis_asyncio

    probe = redis_asyncio.Redis(
        host=LOOPBACK, port=args.port, password=args.password, db=0, decode_responses=True
    )
    base = f"hammer:{args.conversation}:"
    return {
        "counter": int(await probe.get(base + "counter") or 0),
        "log": await probe.lrange(base + "log", 0, -1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["hammer", "scenarios", "report"])
    parser.add_argument("--store", choices=["atomic", "stock"], default="atomic")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--password", default="")
    parser.add_argument("--conversation", default="c1")
    parser.add_argument("--tag", default="p0")
    parser.add_argument("--processes", type=int, default=1, help="hammer processes to wait for")
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--hold", type=float, default=0.002, help="seconds inside the lock")
    parser.add_argument("--deadline", type=float, default=120, help="seconds before giving up")
    parser.add_argument("--dead-port", type=int, default=1)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    run = {"hammer": _hammer, "scenarios": _scenarios, "report": _report}[args.mode]
    print(json.dumps(asyncio.run(run(args))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
