"""`make eval`: score a question file through the library and end to end through the bot.

    .venv/bin/python scripts/eval.py [--set FILE] [--url http://127.0.0.1:5005]
                                     [--min-zh 0.9] [--min-en 0.8] [--min-abstain 0.83]
                                     [--min-hit3 0.95] [--min-followups 1.0]

Two ways, one question file (the format of knowledge/eval/dev_questions.yml):
- library: `knowledge.evaluate` over `KnowledgeService` (answers, abstentions, Hit@k/MRR over
  the full fused ranking), then the ablation table (dense only / BM25 only / hybrid / no
  abstention, and the onnx and sentence-transformers backends on the same model, exported);
- REST: every case through the running bot's webhook, a fresh sender per case and the same
  sender for its follow-up (`then`). The answer check reads the reply's text; grounded and
  sources come from the answer action's custom payload. Hit@k here is over the *cited* sources.

Without --url the stack is started on ports 45005/45055/45080 (`--ports`) and stopped after.
Every failing case is listed with what came back. Exit status 1 when a figure is below a floor
given on the command line (the floors apply to both ways, --min-hit3 to the library's ranking),
2 for a bad question file or configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_rest

from knowledge.errors import KnowledgeError
from knowledge.evaluate import (
    DEFAULT_SET,
    Asker,
    Case,
    Report,
    ablation,
    evaluate,
    format_table,
    load_cases,
    service_asker,
)
from knowledge.phrases import unanswered_note
from knowledge.settings import Settings
from knowledge.types import Answer, Source

ROOT = Path(__file__).resolve().parent.parent
ST_MODEL = ROOT / "var" / "models" / "multilingual-e5-small-st"


def say(message: str) -> None:
    print(f"[eval] {message}", file=sys.stderr, flush=True)


# --- scores -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    passed: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.passed / self.total if self.total else None

    def __str__(self) -> str:
        return f"{self.rate:.3f} ({self.passed}/{self.total})" if self.total else "-"


def scores(report: Report) -> dict[str, Any]:
    """Counts behind the rates, plus Hit@1/Hit@3/MRR from `Report.summary`."""

    def score(pick: Callable[[Case], bool]) -> Score:
        chosen = [r for r in report.results if pick(r.case)]
        return Score(sum(r.passed for r in chosen), len(chosen))

    out: dict[str, Any] = {
        f"accuracy_{lang}": score(lambda c, lang=lang: not c.abstain and c.lang == lang)
        for lang in sorted({r.case.lang for r in report.results if not r.case.abstain}, key=_lang_order)
    }
    out["abstention"] = score(lambda c: c.abstain)
    out["followups"] = score(lambda c: c.previous is not None)
    summary = report.summary()
    for key in ("hit@1", "hit@3", "mrr"):
        out[key] = summary.get(key)
    return out


def _lang_order(lang: str) -> tuple[int, str]:
    return ({"zh": 0, "en": 1}.get(lang, 2), lang)


def rate_of(value: Any) -> float | None:
    return value.rate if isinstance(value, Score) else value


# Floors: option name -> score key. --min-hit3 only where the full ranking is known.
FLOORS = {"min_zh": "accuracy_zh", "min_en": "accuracy_en", "min_abstain": "abstention",
          "min_followups": "followups", "min_hit3": "hit@3"}  # fmt: skip


def below_floors(way: str, figures: dict[str, Any], args: argparse.Namespace) -> list[str]:
    out = []
    for option, key in FLOORS.items():
        floor = getattr(args, option)
        if floor is None or (key == "hit@3" and way != "library"):
            continue
        value = rate_of(figures.get(key))
        if value is not None and value < floor:
            out.append(f"{way}: {key} {value:.3f} < {floor}")
    return out


# --- the two ways -------------------------------------------------------------------------


def rest_asker(client: httpx.Client, url: str, notes: dict[str, str], failed: set[str]) -> Asker:
    """Ask through the bot's REST webhook `url`.

    A follow-up (a case whose `previous` is the question just asked) keeps its parent's sender,
    so the bot sees one conversation; every other case starts a new one. A request that fails
    puts the case in `failed`; `notes` says what was odd about a reply.
    """
    last: tuple[str, str] | None = None  # (question, sender) of the previous case

    def ask(case: Case) -> tuple[Answer, list[str]]:
        nonlocal last
        if case.previous is not None and last is not None and last[0] == case.previous:
            sender = last[1]
        else:
            sender = f"eval-{uuid.uuid4().hex}"
        last = (case.question, sender)
        try:
            reply = bench_rest.post(client, url, sender, case.question)
        except (httpx.HTTPError, ValueError) as exc:
            failed.add(case.id)
            notes[case.id] = f"request failed: {type(exc).__name__}: {exc}"
            return Answer(case.question, "", False, [], case.lang), []
        payload = reply.payload
        if payload is None:
            notes[case.id] = "no answer payload in the reply (small talk or the channel's apology?)"
            payload = {}
        sources = [_source(s) for s in payload.get("sources") or [] if isinstance(s, dict)]
        answer = Answer(case.question, scored_text(reply.text, payload), payload.get("grounded") is True, sources,
                        case.lang)
        return answer, [s.text for s in sources]

    return ask


def scored_text(text: str, payload: dict[str, Any]) -> str:
    """A reply's text as scored: without the note naming the questions it leaves unanswered
    (`unanswered` in the payload), whose words are the user's, not an answer."""
    unanswered = [str(p) for p in payload.get("unanswered") or []]
    for lang in ("zh", "en"):
        text = text.replace(unanswered_note(unanswered, lang), "")
    return text


def _source(raw: dict[str, Any]) -> Source:
    return Source(str(raw.get("id", "")), str(raw.get("source", "")), str(raw.get("title", "")),
                  str(raw.get("section", "")), str(raw.get("text", "")), float(raw.get("score") or 0.0))  # fmt: skip


def evaluate_rest(cases: list[Case], url: str, timeout: float = 60.0) -> Report:
    """The cases over REST; a case whose request failed fails, even an abstention case."""
    notes: dict[str, str] = {}
    failed: set[str] = set()
    with httpx.Client(timeout=timeout) as client:
        report = evaluate(cases, rest_asker(client, bench_rest.webhook(url), notes, failed))
    for result in report.results:
        result.note = notes.get(result.case.id, "")
        if result.case.id in failed:
            result.passed = False
    return report


def backend_row(settings: Settings, cases: list[Case], backend: str, st_model: Path) -> tuple[str, dict[str, Any]]:
    """The hybrid pipeline with another embedding backend on the same model, on a temporary index.

    "sentence-transformers" runs the folder `knowledge export-st` writes, "onnx" the one
    `knowledge export-onnx` writes; either is exported first if missing.
    """
    from knowledge.embed import make_embedder
    from knowledge.exported_models import with_backend
    from knowledge.index import build_index
    from knowledge.service import KnowledgeService

    other = with_backend(settings, backend, st_model if backend == "sentence-transformers" else "", say)
    label = f"hybrid, {backend} ({Path(other.model).name})"
    with tempfile.TemporaryDirectory() as tmp:
        other = replace(other, index_dir=Path(tmp) / "index")
        embedder = make_embedder(other)
        build_index(other, embedder)
        service = KnowledgeService.from_settings(other, embedder)
        return label, evaluate(cases, service_asker(service)).summary()


# --- output -------------------------------------------------------------------------------


def format_scores(columns: dict[str, dict[str, Any]]) -> str:
    names = {"accuracy_zh": "answer accuracy, Chinese", "accuracy_en": "answer accuracy, English",
             "abstention": "abstentions right", "followups": "follow-ups right",
             "hit@1": "Hit@1", "hit@3": "Hit@3", "mrr": "MRR"}  # fmt: skip
    keys = list(dict.fromkeys(k for figures in columns.values() for k in figures))
    header = "| | " + " | ".join(columns) + " |"
    lines = [header, "|---|" + "---:|" * len(columns)]
    for key in keys:
        label = names.get(key, key)
        cells = []
        for figures in columns.values():
            value = figures.get(key)
            cells.append(
                f"{value:.3f}" if isinstance(value, float) else str(value if value is not None else "-")
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_failures(way: str, report: Report) -> list[str]:
    lines = []
    for r in report.failures():
        if r.case.abstain:
            got = f"answered: {r.answer.answer[:160]!r}"
        elif not r.answer.grounded:
            got = f"not grounded: {r.answer.answer[:120]!r}" if r.answer.answer else "not grounded"
        else:
            got = f"answer lacks {r.case.expect}: {r.answer.answer[:160]!r}"
        if r.note:
            got += f" [{r.note}]"
        top = r.answer.sources[0].id if r.answer.sources else "-"
        kind = "abstain" if r.case.abstain else ("follow-up" if r.case.previous else r.case.lang)
        lines.append(f"  FAIL {way} {r.case.id} ({kind}) {r.case.question} -> {got} (top source {top})")
    return lines


# --- main ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scripts/eval.py", description=__doc__.split("\n")[0])
    p.add_argument(
        "--set", type=Path, default=DEFAULT_SET, help=f"question file (default {DEFAULT_SET.name})"
    )
    p.add_argument("--url", help="a running bot's base URL (default: start a stack on --ports)")
    p.add_argument("--ports", default="45005,45055,45080",
                   help="rasa,actions,web ports of the stack started when --url is not given")  # fmt: skip
    p.add_argument("--no-rest", action="store_true", help="library only (no bot)")
    p.add_argument("--no-ablation", action="store_true", help="skip the ablation table")
    p.add_argument("--st-model", type=Path, default=ST_MODEL,
                   help="sentence-transformers folder for the ablation (exported if missing)")  # fmt: skip
    p.add_argument("--no-st", action="store_true", help="ablation without the sentence-transformers row")
    p.add_argument("--no-onnx", action="store_true", help="ablation without the onnx row")
    p.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    for name, text in (("zh", "Chinese answer accuracy"), ("en", "English answer accuracy"),
                       ("abstain", "abstention accuracy"), ("hit3", "Hit@3 (library)"),
                       ("followups", "follow-up accuracy")):  # fmt: skip
        p.add_argument(f"--min-{name}", type=float, help=f"fail below this {text} (0-1)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no model hub, ever: a missing model must fail
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        cases = load_cases(args.set)
    except (KnowledgeError, ValueError) as exc:
        say(f"error: {exc}")
        return 2
    if not cases:
        say(f"error: {args.set} has no cases")
        return 2
    with contextlib.ExitStack() as cleanup:
        stack = None
        if not args.no_rest and not args.url:
            # Rasa takes a while to start: let it start while the library is scored.
            ports = bench_rest.parse_ports(args.ports)
            workdir = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="eval-stack-"))
            stack = bench_rest.LocalStack(ports, Path(workdir))
            say(
                f"starting the stack on ports {ports.rasa}/{ports.actions}/{ports.web} (scripts/stack.py run)"
            )
            cleanup.callback(stack.stop)
            stack.start()
        try:
            return run(args, settings, cases, stack)
        except KnowledgeError as exc:
            say(f"error: {exc}")
            return 2
        except RuntimeError as exc:  # the stack did not start
            say(f"error: {exc}")
            return 1


def run(args: argparse.Namespace, settings: Settings, cases: list[Case], stack) -> int:
    from knowledge.embed import make_embedder
    from knowledge.index import build_index
    from knowledge.service import KnowledgeService

    if args.url and not args.no_rest:
        bench_rest.check_reachable(args.url)  # before minutes of work, not after
    embedder = make_embedder(settings)
    # Incremental: nothing to do when the articles did not change. stack.py builds too; the
    # build lock makes the second builder wait and then find the index up to date.
    build_index(settings, embedder)
    service = KnowledgeService.from_settings(settings, embedder)
    say(f"scoring {len(cases)} cases through the library")
    library = evaluate(cases, service_asker(service))
    reports: dict[str, Report] = {"library": library}
    if not args.no_rest:
        if stack is not None:
            stack.wait_ready()
        url = args.url or stack.url
        say(f"scoring {len(cases)} cases through REST at {url}")
        reports["REST"] = evaluate_rest(cases, url)
    table_rows = []
    if not args.no_ablation:
        say("ablation: dense only, BM25 only, hybrid, no abstention")
        table_rows = ablation(service, cases)
        others = [b for b, skip in (("onnx", args.no_onnx), ("sentence-transformers", args.no_st))
                  if not skip and b != settings.embed_backend]  # fmt: skip
        for backend in others:
            try:
                table_rows.append(backend_row(settings, cases, backend, args.st_model))
            except KnowledgeError as exc:
                say(f"{backend} row skipped: {exc}")

    figures = {way: scores(report) for way, report in reports.items()}
    n = {k: v.total for k, v in figures["library"].items() if isinstance(v, Score)}
    print(f"question set: {args.set} ({len(cases)} cases: "
          + ", ".join(f"{k.removeprefix('accuracy_')} {v}" for k, v in n.items()) + ")")  # fmt: skip
    columns = {("library" if w == "library" else f"REST ({args.url or stack.url})"): f
               for w, f in figures.items()}  # fmt: skip
    print(format_scores(columns))
    if len(columns) > 1:
        print("Hit@k, MRR: library over the full fused ranking; REST over the sources a reply cites "
              "(none when it abstains).")  # fmt: skip
    failures = [line for way, report in reports.items() for line in format_failures(way, report)]
    print(f"\nfailing cases: {len(failures)}")
    print("\n".join(failures))
    if table_rows:
        print("\nablation (library, same question set):")
        print(format_table(table_rows))
    below = [line for way, f in figures.items() for line in below_floors(way, f, args)]
    for line in below:
        print(f"below floor: {line}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "set": str(args.set),
            "figures": {w: {k: rate_of(v) for k, v in f.items()} for w, f in figures.items()},
            "counts": {w: {k: [v.passed, v.total] for k, v in f.items() if isinstance(v, Score)}
                       for w, f in figures.items()},
            "failures": failures,
            "ablation": table_rows,
            "below_floors": below,
        }, ensure_ascii=False, indent=2))  # fmt: skip
    print("floors: " + ("FAILED" if below else "met"))
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
