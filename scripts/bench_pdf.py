"""Figures for PDF articles: extraction time of a generated N-page Chinese PDF, the share of its
sentences and table rows that come out of cleaning intact (pdfplumber, as built, and pypdf for
comparison), and the index build time with it.

    .venv/bin/python scripts/bench_pdf.py [--pages 50] [--build]
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from knowledge.chunk import chunk_article  # noqa: E402
from knowledge.clean import clean_lines  # noqa: E402
from knowledge.extract.pdf import extract_pdf  # noqa: E402
from knowledge.ingest import Article, clean_article  # noqa: E402

CLAUSES = ["园区对新入驻的研发企业给予三年房租减半的优惠", "并提供最高五百万元的设备购置补贴",
           "人才公寓面向园区企业的硕士以上人才开放申请", "租金为市场价的百分之六十",
           "园区已建成中试基地和公共检测平台", "年检测服务能力超过二十万批次",
           "首批入驻企业可申请最高两百万元的流动资金贷款贴息", "贴息期限不超过三年"]


def sentences_for(page: int, paragraph: int) -> list[str]:
    """Two or three unique sentences of varied length (numbers make each one unique)."""
    out = []
    for k in range(2 + (page + paragraph) % 2):
        a, b = CLAUSES[(page + paragraph + k) % 8], CLAUSES[(page * 3 + paragraph + k + 1) % 8]
        out.append(f"第{page}页第{paragraph}段第{k + 1}句：{a}，{b}。")
    return out


def make_pdf(pages: int) -> tuple[bytes, list[str], list[str]]:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("zh", fontName="STSong-Light", fontSize=11, leading=16, wordWrap="CJK", spaceAfter=8)
    head = ParagraphStyle("h", parent=body, fontSize=15, leading=20)
    flow: list = []
    sentences: list[str] = []
    rows: list[str] = []
    for page in range(1, pages + 1):
        flow.append(Paragraph(f"第{page}章 扶持政策", head))
        for paragraph in range(1, 7):
            text = sentences_for(page, paragraph)
            sentences += text
            flow.append(Paragraph("".join(text), body))
        if page % 5 == 0:
            table = [["项目", "标准", "期限"], [f"第{page}项补贴", f"{page}万元", "三年"],
                     [f"第{page}项贴息", f"{page * 2}万元", "两年"]]
            rows += [f"项目：{r[0]}，标准：{r[1]}，期限：{r[2]}。" for r in table[1:]]
            flow.append(Table(table, style=TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                                                       ("GRID", (0, 0), (-1, -1), 0.5, colors.black)])))
        flow.append(PageBreak())
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title="园区扶持政策汇编").build(flow)
    return out.getvalue(), sentences, rows


def cleaned_sentences(clean) -> set[str]:
    passages = chunk_article(Article("bench.pdf", "", clean), 10_000, 0)
    return {s for p in passages for s in p.sentence_texts()}


def pypdf_lines(data: bytes) -> list[str]:
    """pypdf's text, wrapped lines joined back where a line does not end a sentence (it gives no
    positions, so punctuation is all there is to go by)."""
    import pypdf

    out: list[str] = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for line in (page.extract_text() or "").splitlines():
            line = line.strip()
            if out and line and not re.search(r"[。！？；]$", out[-1]) and not re.match(r"^第\d+章", line):
                out[-1] += line
            elif line:
                out.append(line)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--build", action="store_true", help="also time index builds of a folder with the PDF")
    args = parser.parse_args()
    data, sentences, rows = make_pdf(args.pages)
    print(f"{args.pages}-page PDF: {len(data) / 1024:.0f} KiB, {len(sentences)} sentences, {len(rows)} table rows")

    started = time.perf_counter()
    extract_pdf(data, "bench.pdf")
    extract_s = time.perf_counter() - started
    started = time.perf_counter()
    clean = clean_article(data, ".pdf", "bench.pdf")
    total_s = time.perf_counter() - started
    got = cleaned_sentences(clean)
    intact = sum(s in got for s in sentences) / len(sentences)
    rows_ok = sum(r in got for r in rows) / max(len(rows), 1)
    print(f"pdfplumber: extraction {extract_s:.2f} s, with cleaning {total_s:.2f} s; sentences intact "
          f"{intact:.1%}, table rows intact {rows_ok:.1%}")

    started = time.perf_counter()
    lines = pypdf_lines(data)
    pypdf_s = time.perf_counter() - started
    got = cleaned_sentences(clean_lines(lines, title=None))
    print(f"pypdf:      extraction {pypdf_s:.2f} s; sentences intact {sum(s in got for s in sentences) / len(sentences):.1%}, "
          f"table rows intact {sum(r in got for r in rows) / max(len(rows), 1):.1%}")

    if args.build:
        from knowledge.embed import make_embedder
        from knowledge.index import build_index
        from knowledge.meta import ArticleMeta, write_meta
        from knowledge.settings import Settings

        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "articles"
            folder.mkdir()
            (folder / "policy.pdf").write_bytes(data)
            settings = replace(Settings.from_env(), articles_dir=folder, index_dir=Path(tmp) / "index",
                               cache_dir=Path(tmp) / "cache")
            embedder = make_embedder(settings)
            cold = build_index(settings, embedder)
            write_meta(folder / "policy.pdf", ArticleMeta(published=__import__("datetime").date(2024, 3, 1)))
            warm = build_index(settings, embedder)  # metadata changed: rebuilt from the embedding cache
            same = build_index(settings, embedder)
            print(f"build: cold {cold.seconds:.1f} s ({cold.passages} passages, {cold.sentences} sentences); "
                  f"after a metadata change {warm.seconds:.1f} s ({warm.embedded} embedded); unchanged "
                  f"{same.seconds * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
