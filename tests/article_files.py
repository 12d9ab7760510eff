"""Article files the tests write themselves: PDFs (reportlab's built-in Chinese font, no font file),
Word documents (python-docx), web pages, and hostile variants of each. All content is fictional."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

# A fictional park: sentences long enough that a PDF page wraps them over several lines.
PARK_SENTENCES = [
    "星河科技园位于南湖新区创新大道一号，规划面积约十二平方公里，是本市重点建设的高新技术产业园区。",
    "园区对新入驻的研发企业给予三年房租减半的优惠，并提供最高五百万元的设备购置补贴。",
    "星河科技园人才公寓共有八百套，面向园区企业的硕士以上人才开放申请，租金为市场价的百分之六十。",
]
TABLE = [["企业类型", "补贴标准", "申请时间"], ["研发企业", "五百万元", "每年三月"], ["制造企业", "三百万元", "每年九月"]]
TABLE_LINES = ["企业类型：研发企业，补贴标准：五百万元，申请时间：每年三月。",
               "企业类型：制造企业，补贴标准：三百万元，申请时间：每年九月。"]


def page_sentences(page: int) -> list[str]:
    """The sentences of page `page` (1-based) of `write_pdf`, numbered so each is unique."""
    return [s.replace("星河科技园", f"星河科技园第{page}区", 1) for s in PARK_SENTENCES]


def pdf_bytes(pages: int = 2, *, title: str = "星河科技园招商指南", table_every: int = 2) -> bytes:
    """A Chinese PDF: per page a heading, the park sentences as one wrapped paragraph each, and a
    ruled table on every `table_every`-th page (from the first)."""
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
    for page in range(1, pages + 1):
        flow.append(Paragraph(f"第{page}章 园区概况", head))
        flow.extend(Paragraph(s, body) for s in page_sentences(page))
        if (page - 1) % table_every == 0:
            style = TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                                ("GRID", (0, 0), (-1, -1), 0.5, colors.black)])
            flow.append(Table(TABLE, style=style))
        flow.append(PageBreak())
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=title).build(flow)
    return out.getvalue()


def _pdf(objects: list[bytes]) -> bytes:
    """A minimal PDF from its objects' bodies (1-based), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_with_javascript(hex_escaped: bool = False) -> bytes:
    """A one-page PDF whose catalog runs JavaScript when opened (`/J#61vaScript` spells the
    action type with a hex escape, as malicious files do to dodge naive scans)."""
    action = b"/J#61vaScript" if hex_escaped else b"/JavaScript"
    text = b"BT /F1 12 Tf 72 720 Td (Park news) Tj ET"
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Action /S " + action + b" /JS (app.alert\\(1\\)) >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def docx_bytes() -> bytes:
    """A Word document: a title, two headed sections (one with a table), Chinese text."""
    import docx

    document = docx.Document()
    document.add_heading("星河科技园投资指南", 0)
    document.add_heading("一、区位交通", 1)
    document.add_paragraph(PARK_SENTENCES[0])
    document.add_heading("二、扶持政策", 1)
    document.add_paragraph(PARK_SENTENCES[1])
    table = document.add_table(rows=0, cols=3)
    for row in TABLE:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_bomb(unpacked_mb: int = 30) -> bytes:
    """A real .docx with one extra part of zeros that deflate a thousandfold: a zip bomb."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_bytes())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        with dst.open("word/media/padding.bin", "w", force_zip64=True) as part:
            zeros = bytes(1 << 20)
            for _ in range(unpacked_mb):
                part.write(zeros)
    return out.getvalue()


NAV_PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>星河科技园发布人才新政</title>
<meta property="article:published_time" content="2024-03-01"><meta property="og:site_name" content="星河科技园管委会">
</head><body><nav><ul><li><a href="/">首页</a></li><li><a href="/news">新闻中心</a></li>
<li><a href="/about">关于我们</a></li><li><a href="/contact">联系方式</a></li></ul></nav>
<article><h1>星河科技园发布人才新政</h1>
<p>{}</p><p>{}</p><p>{}</p></article>
<footer>版权所有 星河科技园管委会 联系我们 网站地图</footer></body></html>
""".format(*PARK_SENTENCES)


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path
