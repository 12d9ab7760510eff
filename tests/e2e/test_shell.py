"""`make shell` (`scripts/stack.py shell`) driven through a pseudo-terminal, as a user types.

One conversation: a Chinese question answered with its source, a follow-up on the same
subject, an English question, a question the articles do not answer (a decline with topic
buttons); then Ctrl-C at the prompt, after which nothing the shell started is left.
Ports (environment): E2E_SHELL_PORT_BASE (35500): shell +6, actions +55.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from knowledge.phrases import TOPIC_BUTTONS
from scripts.stack import port_in_use

pexpect = pytest.importorskip("pexpect")

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BASE = int(os.environ.get("E2E_SHELL_PORT_BASE") or 35500)
SHELL_PORT, ACTIONS_PORT = BASE + 6, BASE + 55
START_TIMEOUT = float(os.environ.get("E2E_START_TIMEOUT") or 900)
REPLY_TIMEOUT = 120
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|[\x07\x08]")
# The end of a turn: `rasa shell` prints each answer's custom payload as indented JSON last.
PAYLOAD_END = r"Custom json:.*?\r\n(?:\x1b\[[0-9;]*m)*\}"
BUTTON = re.compile(r"^\d+: (?P<title>.+) \((?P<payload>.+)\)$", re.M)


@dataclass
class Turn:
    text: str  # what the bot said, without buttons and payload
    payload: dict
    buttons: list[str] = field(default_factory=list)


def clean(raw: str) -> str:
    return ANSI.sub("", raw).replace("\r", "")


def parse_turn(raw: str) -> Turn:
    text = clean(raw)
    # What follows the last echo of the question (prompt_toolkit redraws the input line).
    said = text.rsplit("Your input ->", 1)[-1].split("\n", 1)[-1]
    said, payload = said.split("Custom json:", 1)
    buttons = [m["title"] for m in BUTTON.finditer(said)]
    lines = [
        line for line in said.splitlines() if line.strip() and line != "Buttons:" and not BUTTON.match(line)
    ]
    bot = "\n".join(
        line for line in lines if not line.startswith(("Building prefix", "Loading model", "Prefix dict"))
    )
    return Turn(bot.strip(), json.loads(payload), buttons)


class Shell:
    def __init__(self, work: Path) -> None:
        env = {
            **os.environ,
            "BOT_HOST": "127.0.0.1",
            "BOT_SHELL_PORT": str(SHELL_PORT),
            "BOT_ACTIONS_PORT": str(ACTIONS_PORT),
            "BOT_TRACKER_DB": str(work / "tracker.db"),
            "BOT_DATABASE_FILE": str(work / "bot.db"),
            "PROMPT_TOOLKIT_NO_CPR": "1",  # a pty does not answer cursor position requests
        }
        self.child = pexpect.spawn(
            sys.executable, [str(ROOT / "scripts" / "stack.py"), "shell"],
            cwd=str(ROOT), env=env, encoding="utf-8", codec_errors="replace", dimensions=(50, 200),
            timeout=REPLY_TIMEOUT,
        )  # fmt: skip
        self.child.logfile_read = (work / "shell.log").open("w", encoding="utf-8")
        self.started: list[psutil.Process] = []
        self.startup = ""

    def wait_loaded(self) -> None:
        self.child.expect("Bot loaded", timeout=START_TIMEOUT)
        self.startup = clean(self.child.before)
        self.child.expect("Your input ->")
        self.started = psutil.Process(self.child.pid).children(recursive=True)

    def ask(self, question: str) -> Turn:
        self.child.sendline(question)
        self.child.expect(PAYLOAD_END)
        turn = parse_turn(self.child.before + self.child.after)
        self.child.expect("Your input ->")
        return turn

    def say(self, text: str, until: str) -> Turn:
        """A turn without a custom payload (a greeting): waits for `until`, then the next prompt."""
        self.child.sendline(text)
        self.child.expect(until)
        head = self.child.before + self.child.after  # Rasa prints a message's buttons before its text
        self.child.expect("Your input ->")
        said = clean(head + self.child.before)
        buttons = [m["payload"] for m in BUTTON.finditer(said)]
        return Turn(said.strip(), {}, buttons)

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
        for proc in self.started:
            with contextlib.suppress(psutil.Error):
                proc.kill()


def wait_until_free(*ports: int, timeout: float = 120) -> None:
    """These ports are in the range the kernel picks clients' ports from: a connection another
    program just closed can hold one for a minute (TIME_WAIT), and no server could bind it."""
    deadline = time.monotonic() + timeout
    while any(port_in_use("127.0.0.1", port) for port in ports) and time.monotonic() < deadline:
        time.sleep(1)


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shell]:
    wait_until_free(SHELL_PORT, ACTIONS_PORT)
    running = Shell(tmp_path_factory.mktemp("shell"))
    try:
        running.wait_loaded()
        yield running
    finally:
        running.close()


def shell_process(shell: Shell) -> psutil.Process:
    [process] = [p for p in shell.started if "scripts.rasa_cli" in p.cmdline() and "shell" in p.cmdline()]
    return process


def test_it_opens_quietly_on_bot_host(shell: Shell) -> None:
    assert "DeprecationWarning" not in shell.startup, shell.startup
    assert "Traceback" not in shell.startup
    listening = {
        c.laddr for c in shell_process(shell).net_connections("tcp") if c.status == psutil.CONN_LISTEN
    }
    assert ("127.0.0.1", SHELL_PORT) in listening, f"rasa shell listens on {listening}, not BOT_HOST"


def test_a_conversation(shell: Shell) -> None:
    answer = shell.ask("科创中心在哪里？")
    assert answer.payload["grounded"] is True, answer
    [source, *_] = answer.payload["sources"]
    assert answer.text.startswith(f"根据《{source['title']}》"), answer.text  # the answer cites its source

    follow_up = shell.ask("占地多大？")  # "how big is it": about the subject of the question before
    assert follow_up.payload["grounded"] is True, follow_up
    assert follow_up.payload["sources"][0]["id"] == source["id"]

    # The English topic button the judge answers (the others come as related: issue #9).
    layout = next(b for b in TOPIC_BUTTONS["en"] if b.title == "Layout")
    english = shell.ask(layout.payload)
    assert english.payload["grounded"] is True, english
    assert english.text.startswith("According to 《"), english.text

    decline = shell.ask("园区附近有没有三甲医院？")
    assert decline.payload.get("message_id"), decline  # logged for the staff, cmdline questions too
    assert (decline.payload["grounded"], decline.payload["sources"]) == (False, []), decline
    assert len(decline.buttons) >= 3, decline  # topics the articles do answer
    assert "《" not in decline.text  # nothing cited


def test_a_line_typed_after_the_greeting_menu_is_sent_as_typed(shell: Shell) -> None:
    greeting = shell.say("你好", "您好")
    assert len(greeting.buttons) >= 3, greeting  # printed as a numbered list, not a selection prompt
    answer = shell.ask("科创中心在哪里？")  # once sent option 1 (政策) instead
    assert answer.payload["grounded"] is True, answer
    assert "科创中心" in answer.payload["sources"][0]["text"], answer


def test_a_number_picks_the_option_it_names_and_is_otherwise_no_goodbye(shell: Shell) -> None:
    greeting = shell.say("你好", "您好")
    picked = shell.ask("2")
    direct = shell.ask(greeting.buttons[1])
    # "2" is the second topic's question, whatever its outcome (the 平台 one is a known gap): the
    # same passage, cited or shown as related.
    quoted = [t.payload["sources"] or t.payload.get("related", []) for t in (picked, direct)]
    assert quoted[0] and quoted[0][0]["id"] == quoted[1][0]["id"], picked
    alone = shell.ask("3")  # the answer before had no menu: an ordinary message
    assert "再见" not in alone.text and "Goodbye" not in alone.text, alone


def test_ctrl_c_leaves_nothing_running(shell: Shell) -> None:
    assert shell.started, "the shell's processes were not recorded"
    shell.child.sendcontrol("c")
    shell.child.expect(pexpect.EOF, timeout=REPLY_TIMEOUT)
    shell.child.close()
    assert shell.child.exitstatus == 0, clean(shell.child.before)
    assert "[stack] stopped" in clean(shell.child.before)
    _, alive = psutil.wait_procs(shell.started, timeout=REPLY_TIMEOUT)
    assert not alive, f"left running: {alive}"
