"""Word (.docx) articles through python-docx: heading styles become sections, tables rows."""

from __future__ import annotations

import io
import re

from knowledge.errors import KnowledgeError
from knowledge.extract import Extracted, table_rows

_HEADING_RE = re.compile(r"^(heading|标题)\s*(\d)?", re.I)


def extract_docx(data: bytes, where: str) -> Extracted:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as exc:  # pragma: no cover - depends on install
        raise KnowledgeError("python-docx is needed for .docx articles: run `make install`") from exc
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds on a damaged file
        raise KnowledgeError(f"{where}: the Word document could not be read ({type(exc).__name__})") from None
    title = (document.core_properties.title or "").strip() or None
    blocks: list[tuple[str, list[str]]] = [("", [])]
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "tbl":
            table = Table(child, document)
            blocks[-1][1].extend(table_rows([[cell.text for cell in row.cells] for row in table.rows]))
            continue
        if tag != "p":
            continue
        paragraph = Paragraph(child, document)
        text = " ".join(paragraph.text.split())
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.lower() == "title":
            title = title or text
        elif _HEADING_RE.match(style):
            blocks.append((text, []))
        else:
            blocks[-1][1].append(text)
    if title is None:  # no title anywhere: the first heading names the article
        title = next((h for h, _ in blocks if h), None)
    return Extracted(title, [(h, lines) for h, lines in blocks if lines])
