"""What a file is before it is read: its kind (from the name), its format (from the suffix),
its fingerprint and, for a text file, the encoding it decodes in and whether every byte does.

A text file is scanned once: the encoding is the one it decodes in (UTF-8, else GB18030;
when neither decodes every byte, the one with fewer bad bytes). A UTF-16/32 file is marked so
that opening it refuses it.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from utilcredit.errors import ImportFileError
from utilcredit.importing.formats import ACCEPTED_ENCODINGS_EN, ACCEPTED_ENCODINGS_ZH, KINDS

FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl"}
CHUNK = 1 << 20  # bytes per read of a file

_UTF16_32_BOMS = (
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
)
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of a bad byte


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    kind: str
    file_format: str
    size: int
    sha256: str
    encoding: str | None = None
    # Text files: every byte decodes in ``encoding`` and none is NUL (the fast CSV path may
    # take the rows); else rows are checked one by one.
    clean: bool = True
    # Why the file cannot be read as text at all (e.g. UTF-16); raised when it is opened.
    encoding_problem: str | None = None


def kind_of(path: Path) -> str:
    """The kind named by the file's stem: ``bills.csv``, ``bills_2026-01.csv`` → ``bills``."""
    stem = path.name.split(".")[0].lower()
    for kind in sorted(KINDS, key=len, reverse=True):
        if stem == kind or (stem.startswith(kind) and stem[len(kind)] in "_-. "):
            return kind
    raise ImportFileError(
        f"无法从文件名判断数据类型：{path.name}（应以 {', '.join(KINDS)} 之一命名）"
        f" / cannot tell the kind from the file name {path.name}; name it after one of {', '.join(KINDS)}"
    )


def inspect(path: Path) -> SourceFile:
    """Identify kind, format and (for text) encoding, and fingerprint the content."""
    if not path.is_file():
        raise ImportFileError(f"文件不存在：{path} / no such file: {path}")
    file_format = FORMATS.get(path.suffix.lower())
    if file_format is None:
        raise ImportFileError(
            f"不支持的文件格式：{path.suffix}（支持 CSV、XLSX、JSONL） / unsupported format {path.suffix} (CSV, XLSX, JSONL)"
        )
    kind = kind_of(path)
    scan = _scan(path, text=file_format in ("csv", "jsonl"))
    return SourceFile(
        path,
        kind,
        file_format,
        path.stat().st_size,
        scan.sha256,
        scan.encoding,
        scan.clean,
        scan.problem,
    )


@dataclass(frozen=True, slots=True)
class _Scan:
    sha256: str
    encoding: str | None = None
    clean: bool = True
    problem: str | None = None


def _scan(path: Path, *, text: bool) -> _Scan:
    """One pass over the bytes: SHA-256 and, for text, whether they are valid UTF-8 (with a
    BOM?) and hold a NUL. Files that are not UTF-8 take a second pass (GB18030), and files
    valid in neither a third (which of the two has fewer bad bytes)."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = text
    has_nul = False
    with path.open("rb") as handle:
        first = handle.read(CHUNK)
        chunk = first
        while chunk:
            digest.update(chunk)
            if text and not has_nul and b"\x00" in chunk:
                has_nul = True
            if utf8_ok:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
            chunk = handle.read(CHUNK)
    sha256 = digest.hexdigest()
    if not text:
        return _Scan(sha256)
    if utf8_ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    has_bom = first.startswith(codecs.BOM_UTF8)
    if not has_bom and first.startswith(_UTF16_32_BOMS):
        return _Scan(
            sha256,
            problem=f"不支持UTF-16/UTF-32编码的文件，请另存为{ACCEPTED_ENCODINGS_ZH} / UTF-16 "
            f"and UTF-32 files are not accepted: save the file as {ACCEPTED_ENCODINGS_EN}",
        )
    if utf8_ok or has_bom:
        return _Scan(sha256, "utf-8-sig" if has_bom else "utf-8", utf8_ok and not has_nul)
    if _decodes(path, "gb18030"):
        return _Scan(sha256, "gb18030", not has_nul)
    utf8_bad, gb_bad = _bad_bytes(path, "utf-8"), _bad_bytes(path, "gb18030")
    return _Scan(sha256, "utf-8" if utf8_bad <= gb_bad else "gb18030", False)


def _decodes(path: Path, encoding: str) -> bool:
    """Whether every byte of the file decodes in ``encoding``."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _bad_bytes(path: Path, encoding: str) -> int:
    """How many bytes of the file do not decode in ``encoding``."""
    decoder = codecs.getincrementaldecoder(encoding)("surrogateescape")
    bad = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(CHUNK)
            decoded = decoder.decode(chunk, final=not chunk)
            if not decoded.isascii():
                bad += len(_ESCAPED_BYTE.findall(decoded))
            if not chunk:
                return bad


def estimate_rows(source: SourceFile) -> int:
    """Roughly how many rows a text file holds, from the line length of its first 64 KiB
    (0 when unknown: XLSX)."""
    if source.file_format == "xlsx" or source.size == 0:
        return 0
    with source.path.open("rb") as handle:
        sample = handle.read(1 << 16)
    lines = sample.count(b"\n")
    return max(1, source.size * lines // len(sample)) if lines else 1
