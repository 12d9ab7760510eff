"""Text out of binary article formats (PDF, DOCX), as blocks of lines under their headings."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Extracted:
    """An article's text: `blocks` are (section heading or "", lines), in reading order.

    Each line is a whole paragraph (a PDF's wrapped lines are joined back), or a table row
    written as "header：cell，header：cell".
    """

    title: str | None
    blocks: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        return [line for heading, lines in self.blocks for line in ([heading] if heading else []) + lines]


def table_rows(rows: list[list[str | None]]) -> list[str]:
    """Each row of a table as one line; with a header row, every cell is named by its column."""
    cells = [[" ".join((c or "").split()) for c in row] for row in rows if row]
    cells = [row for row in cells if any(row)]
    if not cells:
        return []
    cjk = any("\u3400" <= ch <= "\u9fff" for row in cells for c in row for ch in c)
    colon, comma, stop = ("：", "，", "。") if cjk else (": ", ", ", ".")
    header, body = (cells[0], cells[1:]) if len(cells) > 1 and all(cells[0]) else ([], cells)
    out = []
    for row in body:
        parts = [f"{h}{colon}{c}" if h else c for h, c in zip(header or [""] * len(row), row, strict=False) if c]
        if parts:
            out.append(comma.join(parts) + stop)
    return out
