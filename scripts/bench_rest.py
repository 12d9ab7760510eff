"""The bot over REST: start a local stack, talk to it, measure latency, throughput and memory.

    .venv/bin/python scripts/bench_rest.py                  # starts its own stack on 45005/45055/45080
    .venv/bin/python scripts/bench_rest.py --url http://127.0.0.1:5005 [--actions-port 5055]
    options: -n 200 (requests per level), --clients 1,4,16, --warmup 20, --turns 10

Park questions come from knowledge/eval/dev_questions.yml (answerable and not, Chinese and
English); each goes through NLU, the rules and the answer action with retrieval. For each number
of concurrent clients it prints p50/p95/p99, requests/s and errors (a request fails on a
transport error, an HTTP error or a reply without the answer payload, e.g. the channel's apology).
Greetings (no retrieval) are timed at one client for comparison. Memory: RSS of the Rasa server
and of the action server with all its processes, found by their listening ports (psutil).

Not a test: figures depend on the machine and its load. `scripts/bench.py` uses this module for
its REST rows; `scripts/eval.py` uses `local_stack` and `post`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
READY_LINE = "[stack] stack ready"
GREETINGS = ("你好", "hello", "谢谢", "thanks")


# --- a local stack ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ports:
    rasa: int = 45005
    actions: int = 45055
    web: int = 45080


class LocalStack:
    """`scripts/stack.py run` on the given ports, its conversations in a temporary folder.

    Start-up runs in the background (`start`), so callers can do other work meanwhile and
    `wait_ready` later. Stopping sends SIGTERM to stack.py, which stops its children in order.
    """

    def __init__(
        self, ports: Ports, workdir: Path, timeout: float = 900.0, env: Mapping[str, str] | None = None
    ) -> None:
        self.ports = ports
        self.workdir = workdir
        self.timeout = timeout
        self.base_env = dict(os.environ if env is None else env)  # what stack.py inherits
        self.log_path = workdir / "stack.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    def start(self) -> None:
        env = {
            **self.base_env,
            "BOT_HOST": "127.0.0.1",
            "BOT_RASA_PORT": str(self.ports.rasa),
            "BOT_ACTIONS_PORT": str(self.ports.actions),
            "BOT_WEB_PORT": str(self.ports.web),
            "BOT_PUBLIC_URL": self.url,
            # Fresh conversations, and no benchmark questions in the real question log.
            "BOT_TRACKER_DB": str(self.workdir / "tracker.db"),
            "BOT_DATABASE_FILE": str(self.workdir / "bot.db"),
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "scripts" / "stack.py"), "run"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def wait_ready(self) -> None:
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + self.timeout
        while READY_LINE not in self.log_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_text()[-3000:]
                raise RuntimeError(f"the stack did not start (exit {self.process.poll()}):\n{tail}")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(psutil.Error):
                for child in psutil.Process(self.process.pid).children(recursive=True):
                    child.kill()
            self.process.kill()
            self.process.wait()


@contextlib.contextmanager
def local_stack(
    ports: Ports, timeout: float = 900.0, wait: bool = True, env: Mapping[str, str] | None = None
) -> Iterator[LocalStack]:
    """A started stack (ready unless `wait=False`), always stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="bot-stack-") as tmp:
        stack = LocalStack(ports, Path(tmp), timeout, env)
        try:
            stack.start()
            if wait:
                stack.wait_ready()
            yield stack
        finally:
            stack.stop()


# --- talking to the bot -------------------------------------------------------------------


def webhook(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/webhooks/rest/webhook"


@dataclass(frozen=True)
class Reply:
    """What the bot sent back for one message: text messages and the answer payload, if any."""

    messages: list[dict[str, Any]]

    @property
    def text(self) -> str:
        return "\n".join(str(m["text"]) for m in self.messages if m.get("text"))

    @property
    def payload(self) -> dict[str, Any] | None:
        """The answer action's custom payload `{"grounded": ..., "sources": [...]}`."""
        return next((m["custom"] for m in self.messages if isinstance(m.get("custom"), dict)), None)


def parse_reply(response: httpx.Response) -> Reply:
    response.raise_for_status()
    body = response.json()
    if not isinstance(body, list):
        raise ValueError(f"expected a JSON list of messages, got {type(body).__name__}")
    return Reply([m for m in body if isinstance(m, dict)])


def post(client: httpx.Client, url: str, sender: str, text: str) -> Reply:
    """One message to the REST webhook `url`; raises httpx.HTTPError or ValueError on failure."""
    return parse_reply(client.post(url, json={"sender": sender, "message": text}))


def check_reachable(base_url: str, timeout: float = 10.0) -> None:
    """Raise RuntimeError with a clear message unless the bot's REST channel answers."""
    health = f"{base_url.rstrip('/')}/webhooks/rest/"
    try:
        httpx.get(health, timeout=timeout).raise_for_status()
    except httpx.HTTPError as exc:
        raise RuntimeError(f"no bot answers at {health} ({exc}); is it running?") from exc


def has_payload(reply: Reply) -> bool:
    return reply.payload is not None


def not_empty(reply: Reply) -> bool:
    return bool(reply.messages)


# --- load ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, q in 0..100."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n*q/100), at least 1
    return ordered[int(min(rank, len(ordered))) - 1]


@dataclass
class LevelResult:
    clients: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    error_samples: list[str] = field(default_factory=list)
    load_avg: float = 0.0  # 1-minute load average right after the level
    cpu_ms: dict[str, float] = field(default_factory=dict)  # server CPU time per request, by server

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    def summary(self) -> dict[str, Any]:
        lat = self.latencies_ms
        return {
            "clients": self.clients,
            "requests": self.requests,
            "errors": self.errors,
            "p50_ms": round(percentile(lat, 50), 1),
            "p95_ms": round(percentile(lat, 95), 1),
            "p99_ms": round(percentile(lat, 99), 1),
            "max_ms": round(max(lat), 1) if lat else float("nan"),
            "requests_per_s": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "load_avg_1min": round(self.load_avg, 2),
            "server_cpu_ms_per_request": {k: round(v, 1) for k, v in self.cpu_ms.items()},
            "error_samples": self.error_samples[:5],
        }


async def run_level(
    url: str,
    messages: Sequence[str],
    clients: int,
    requests: int,
    *,
    turns: int = 10,
    timeout: float = 30.0,
    check: Callable[[Reply], bool] = has_payload,
) -> LevelResult:
    """`requests` messages over `clients` concurrent conversations; a bounded closed loop.

    Each client sends its next message as soon as the previous reply arrives, starting a new
    conversation (sender) every `turns` messages, as real users do.
    """
    result = LevelResult(clients)
    counter = iter(range(requests))  # shared: one event loop, so no lock needed

    async def client(worker: int, http: httpx.AsyncClient) -> None:
        sent = 0
        sender = uuid.uuid4().hex
        offset = worker * len(messages) // clients  # each client walks the list from its own place
        for _ in counter:
            if sent and sent % turns == 0:
                sender = uuid.uuid4().hex
            text = messages[(offset + sent) % len(messages)]
            sent += 1
            started = time.perf_counter()
            try:
                reply = parse_reply(await http.post(url, json={"sender": sender, "message": text}))
                if not check(reply):
                    raise ValueError(f"unexpected reply to {text!r}: {reply.messages!r:.200}")
            except (httpx.HTTPError, ValueError) as exc:
                result.errors += 1
                result.error_samples.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            result.latencies_ms.append((time.perf_counter() - started) * 1000)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(w, http) for w in range(clients)))
        result.seconds = time.perf_counter() - started
    result.load_avg = os.getloadavg()[0]
    return result


def warm_up(url: str, messages: Sequence[str], n: int) -> None:
    """First requests load lazy parts (tokenizer caches, connection pools): not timed."""
    if n > 0:
        asyncio.run(run_level(url, messages, 1, n, check=not_empty))


# --- memory -------------------------------------------------------------------------------


def _listening_pids(port: int) -> list[int]:
    return sorted({
        c.pid for c in psutil.net_connections("tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid
    })  # fmt: skip


def service_root(port: int) -> psutil.Process | None:
    """The process that serves `port`: the highest ancestor whose command line names the port.

    rasa-sdk listens from a worker process that its main process spawned without the port on
    its command line; the main process has it. stack.py above them does not.
    """
    pids = _listening_pids(port)
    if not pids:
        return None
    proc = psutil.Process(pids[0])
    with contextlib.suppress(psutil.Error):
        while (parent := proc.parent()) is not None and str(port) in " ".join(parent.cmdline()):
            proc = parent
    return proc


def cpu_seconds(root: psutil.Process) -> float:
    """User + system CPU time of a process and its descendants so far."""
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def service_memory(port: int) -> dict[str, Any] | None:
    """RSS of the process serving `port` and all its descendants, MB (2^20 bytes)."""
    root = service_root(port)
    if root is None:
        return None
    rows = []
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            rows.append({"pid": proc.pid, "rss_mb": round(proc.memory_info().rss / 2**20, 1),
                         "cmd": " ".join(proc.cmdline())[:120]})  # fmt: skip
    return {"port": port, "rss_mb": round(sum(r["rss_mb"] for r in rows), 1), "processes": rows}


# --- the benchmark ------------------------------------------------------------------------


def park_questions(path: Path | None = None) -> list[str]:
    """First-turn questions of a question file (follow-ups need their context)."""
    from knowledge.evaluate import DEFAULT_SET, load_cases

    return [c.question for c in load_cases(path or DEFAULT_SET) if c.previous is None]


@dataclass
class RestFigures:
    url: str
    levels: list[LevelResult]
    greetings: LevelResult | None
    memory_warm: dict[str, Any]  # {"rasa": ..., "actions": ...} after warm-up
    memory_after: dict[str, Any]  # the same after the load
    load_avg: tuple[float, float, float] = (0.0, 0.0, 0.0)  # when the REST part started

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "levels": [lvl.summary() for lvl in self.levels],
            "greetings_1_client": self.greetings.summary() if self.greetings else None,
            "memory_after_warmup": self.memory_warm,
            "memory_after_load": self.memory_after,
            "load_avg_at_start": [round(x, 2) for x in self.load_avg],
        }


def measure_rest(
    url: str,
    *,
    rasa_port: int | None,
    actions_port: int | None,
    levels: Sequence[int] = (1, 4, 16),
    requests: int = 200,
    warmup: int = 20,
    greetings: int = 100,
    turns: int = 10,
    question_file: Path | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
) -> RestFigures:
    questions = park_questions(question_file)
    endpoint = webhook(url)
    started_load = os.getloadavg()
    progress(f"warm-up: {warmup} requests")
    warm_up(endpoint, [*questions, *GREETINGS], warmup)

    def memory() -> dict[str, Any]:
        return {name: service_memory(port) if port else None
                for name, port in (("rasa", rasa_port), ("actions", actions_port))}  # fmt: skip

    memory_warm = memory()
    servers = {name: service_root(port) for name, port in (("rasa", rasa_port), ("actions", actions_port))
               if port}  # fmt: skip

    def level(messages: Sequence[str], clients: int, n: int, **options: Any) -> LevelResult:
        before = {name: cpu_seconds(proc) for name, proc in servers.items() if proc}
        result = asyncio.run(run_level(endpoint, messages, clients, n, turns=turns, **options))
        for name, seconds in before.items():
            result.cpu_ms[name] = (cpu_seconds(servers[name]) - seconds) * 1000 / max(result.requests, 1)
        return result

    results = []
    for clients in levels:
        progress(f"{requests} park questions over {clients} concurrent client(s)")
        results.append(level(questions, clients, requests))
    greeting_result = None
    if greetings > 0:
        progress(f"{greetings} greetings at one client")
        greeting_result = level(GREETINGS, 1, greetings, check=not_empty)
    return RestFigures(url, results, greeting_result, memory_warm, memory(), started_load)


def format_rest(figures: RestFigures) -> str:
    lines = [f"REST round trips to {figures.url} (load average at start "
             f"{' / '.join(f'{x:.2f}' for x in figures.load_avg)})"]  # fmt: skip
    rows = [(f"park questions, {lvl.clients} client(s)", lvl) for lvl in figures.levels]
    if figures.greetings:
        rows.append(("greetings, 1 client", figures.greetings))
    for name, lvl in rows:
        s = lvl.summary()
        lines.append(
            f"  {name:<30} n={s['requests']:<4} p50 {s['p50_ms']:6.1f}  p95 {s['p95_ms']:6.1f}  "
            f"p99 {s['p99_ms']:6.1f} ms  {s['requests_per_s']:6.1f} req/s  errors {s['errors']}  "
            f"(load {s['load_avg_1min']:.2f})"
        )
        if lvl.cpu_ms:
            lines.append("      server CPU per request: "
                         + ", ".join(f"{k} {v:.1f} ms" for k, v in lvl.cpu_ms.items()))  # fmt: skip
        lines += [f"      {e}" for e in s["error_samples"]]
    for name, mem in figures.memory_warm.items():
        if mem:
            after = figures.memory_after.get(name) or {}
            lines.append(f"  RSS {name:<8} {mem['rss_mb']:7.1f} MB after warm-up, "
                         f"{after.get('rss_mb', float('nan')):7.1f} MB after the load "
                         f"({len(mem['processes'])} process(es))")  # fmt: skip
    return "\n".join(lines)


def parse_levels(raw: str) -> list[int]:
    try:
        levels = [int(x) for x in raw.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {raw!r}") from None
    if not levels or any(n < 1 for n in levels):
        raise argparse.ArgumentTypeError("client counts must be at least 1")
    return levels


def local_port_of(url: str) -> int | None:
    """The port of a bot on this machine (its processes can be measured); None for another host."""
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def add_rest_options(parser: argparse.ArgumentParser) -> None:
    """Options shared with scripts/bench.py."""
    parser.add_argument("--url", help="a running bot's base URL (default: start a stack on --ports)")
    parser.add_argument("--actions-port", type=int,
                        help="with --url: the action server's port, for its memory")  # fmt: skip
    parser.add_argument("--ports", default="45005,45055,45080",
                        help="rasa,actions,web ports of the stack started when --url is not given")  # fmt: skip
    parser.add_argument("-n", "--requests", type=int, default=200, help="requests per level (200)")
    parser.add_argument("--clients", type=parse_levels, default=[1, 4, 16],
                        help="concurrent clients per level, comma-separated (1,4,16)")  # fmt: skip
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first (20)")
    parser.add_argument("--greetings", type=int, default=100, help="greetings timed at one client (100)")
    parser.add_argument("--turns", type=int, default=10, help="messages per conversation (10)")


def parse_ports(raw: str) -> Ports:
    try:
        rasa, actions, web = (int(x) for x in raw.split(","))
    except ValueError:
        raise SystemExit(f"--ports: expected three numbers rasa,actions,web, got {raw!r}") from None
    return Ports(rasa, actions, web)


@contextlib.contextmanager
def bot(
    args: argparse.Namespace, say: Callable[[str], None], env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, int | None, int | None]]:
    """(url, rasa port, actions port) of the bot to measure: the one given, or a local stack
    started with `env` (default: this process's environment)."""
    if args.url:
        check_reachable(args.url)
        yield args.url, local_port_of(args.url), args.actions_port
        return
    ports = parse_ports(args.ports)
    say(f"starting the stack on ports {ports.rasa}/{ports.actions}/{ports.web} (scripts/stack.py run)")
    with local_stack(ports, env=env) as stack:
        say(f"stack ready: {stack.url}")
        yield stack.url, ports.rasa, ports.actions


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_rest_options(parser)
    args = parser.parse_args(argv)

    def say(msg: str) -> None:
        print(f"[bench-rest] {msg}", file=sys.stderr, flush=True)

    try:
        with bot(args, say) as (url, rasa_port, actions_port):
            figures = measure_rest(
                url, rasa_port=rasa_port, actions_port=actions_port, levels=args.clients,
                requests=args.requests, warmup=args.warmup, greetings=args.greetings,
                turns=args.turns, progress=say,
            )  # fmt: skip
    except (RuntimeError, httpx.HTTPError) as exc:
        say(f"failed: {exc}")
        return 1
    print(format_rest(figures))
    return 1 if any(lvl.errors for lvl in figures.levels) else 0


if __name__ == "__main__":
    raise SystemExit(main())
