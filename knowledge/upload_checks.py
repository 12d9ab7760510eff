"""Checks an article must pass before it is written into the articles folder or read by a build.

Each refusal is a KnowledgeError with a message a member of staff can act on: a file that is
too large, is not what its extension says, unpacks to far more than it weighs (a zip bomb in
a DOCX), carries active content (JavaScript or launch actions in a PDF), or has a name that
would leave the folder.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePath

from knowledge.errors import KnowledgeError

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, ".pdf", ".docx")
MAX_NAME_CHARS = 150
UNPACK_FACTOR = 5  # a DOCX may unpack to this many times the article size limit
MAX_RATIO = 200  # compression ratio no real document part reaches (zip bombs reach thousands)
MAX_ZIP_MEMBERS = 5000
MAX_PDF_OBJECTS = 500_000
# PDF actions that run code or open things (checked as dictionary keys and /S action types).
_ACTIVE_KEYS = {"JS", "JavaScript", "Launch", "RichMedia", "EmbeddedFile", "EmbeddedFiles", "XFA"}
_ACTIVE_ACTIONS = {"JavaScript", "Launch", "ImportData", "RichMediaExecute", "Rendition"}
_BAD_NAME_RE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def check_name(name: str) -> str:
    """A plain file name of a supported type: no folders, no `..`, not hidden, no control characters."""
    if not name or _BAD_NAME_RE.search(name) or name in (".", "..") or PurePath(name).name != name:
        raise KnowledgeError(f"refused: {name[:80]!r} is not a plain file name (no folders, `..` or "
                             "control characters)")
    if name.startswith("."):
        raise KnowledgeError(f"refused: {name[:80]!r} is a hidden name")
    if len(name) > MAX_NAME_CHARS:
        raise KnowledgeError(f"refused: the name is longer than {MAX_NAME_CHARS} characters")
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise KnowledgeError(f"refused: {name!r}: articles are {', '.join(SUPPORTED_SUFFIXES)} files")
    return name


def check_size(size: int, limit: int, what: str) -> None:
    if size > limit:
        raise KnowledgeError(f"refused: {what} is {size / 2**20:.1f} MiB, more than the {limit / 2**20:.1f} MiB an "
                             "article may have (KB_MAX_ARTICLE_BYTES)")


def check_content(data: bytes, suffix: str, limit: int, what: str) -> None:
    """The bytes are a safe file of the type `suffix` says."""
    check_size(len(data), limit, what)
    suffix = suffix.lower()
    if suffix == ".pdf":
        check_pdf(data, what)
    elif suffix == ".docx":
        check_docx(data, limit, what)
    elif suffix in TEXT_SUFFIXES:
        check_text(data, what)
    else:
        raise KnowledgeError(f"refused: {what}: unsupported type {suffix!r}")


def check_text(data: bytes, what: str) -> None:
    if data[:5] == b"%PDF-" or data[:4] == b"PK\x03\x04" or b"\x00" in data[:65536]:
        raise KnowledgeError(f"refused: {what} is not text, although its extension says so")


def check_docx(data: bytes, limit: int, what: str) -> None:
    """A Word document: a zip with word/document.xml that does not unpack out of proportion."""
    if data[:4] != b"PK\x03\x04":
        raise KnowledgeError(f"refused: {what} is not a Word (.docx) document, although its extension says so")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise KnowledgeError(f"refused: {what} is a damaged .docx ({exc})") from None
    if "word/document.xml" not in {m.filename for m in members}:
        raise KnowledgeError(f"refused: {what} is a zip file but not a Word (.docx) document")
    if len(members) > MAX_ZIP_MEMBERS:
        raise KnowledgeError(f"refused: {what} holds {len(members)} parts; a document has far fewer")
    # Python's zipfile never inflates a member past its declared size, so declared sizes bound the work.
    total = sum(m.file_size for m in members)
    if total > UNPACK_FACTOR * limit:
        raise KnowledgeError(f"refused: {what} unpacks to {total / 2**20:.0f} MiB (a zip bomb?)")
    for m in members:
        if m.file_size > 1_000_000 and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise KnowledgeError(f"refused: {what}: part {m.filename} is compressed {m.file_size // max(m.compress_size, 1)}"
                                 " times (a zip bomb?)")


def check_pdf(data: bytes, what: str) -> None:
    """A PDF without JavaScript, launch actions or embedded files (every object is looked at,
    including those packed in object streams)."""
    if b"%PDF-" not in data[:1024]:
        raise KnowledgeError(f"refused: {what} is not a PDF, although its extension says so")
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import PDFObjRef, PDFStream
    from pdfminer.psparser import PSLiteral

    try:
        document = PDFDocument(PDFParser(io.BytesIO(data)))
        objids = {objid for xref in document.xrefs for objid in xref.get_objids()}
    except (PDFPasswordIncorrect, PDFEncryptionError):
        raise KnowledgeError(f"refused: {what} is an encrypted PDF; upload it unprotected") from None
    except Exception as exc:  # pdfminer raises many kinds on a damaged file
        raise KnowledgeError(f"refused: {what} is a damaged PDF ({type(exc).__name__})") from None
    if len(objids) > MAX_PDF_OBJECTS:
        raise KnowledgeError(f"refused: {what} has {len(objids)} objects; an article has far fewer")

    def active(value: object, depth: int = 0) -> str | None:
        if depth > 50 or isinstance(value, PDFObjRef):
            return None  # references are checked as objects of their own
        if isinstance(value, PDFStream):
            value = value.attrs
        if isinstance(value, dict):
            for key, item in value.items():
                if key in _ACTIVE_KEYS:
                    return key
                if key == "S" and isinstance(item, PSLiteral) and item.name in _ACTIVE_ACTIONS:
                    return item.name
                found = active(item, depth + 1)
                if found:
                    return found
        elif isinstance(value, list):
            for item in value:
                found = active(item, depth + 1)
                if found:
                    return found
        return None

    for objid in objids:
        try:
            obj = document.getobj(objid)
        except Exception:  # an unreadable object carries nothing we would run
            continue
        found = active(obj)
        if found:
            raise KnowledgeError(f"refused: {what} contains active content (/{found}); save it again as a plain PDF")
