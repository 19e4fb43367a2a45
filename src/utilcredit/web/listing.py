"""What the console's list pages share (search, red/black list, rating runs): parsing a filter's
choice, the policies' names in the page's language, paging links and the streamed XLSX export.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from typing import IO, TypeVar
from urllib.parse import urlencode

from fastapi.responses import StreamingResponse

from utilcredit.errors import FieldInvalidError
from utilcredit.policies.service import shipped
from utilcredit.web.i18n import Translator

E = TypeVar("E", bound=StrEnum)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STREAM_CHUNK = 64 * 1024


def choice(field: str, value: str | None, kind: type[E]) -> E | None:
    """A select's value as ``kind``; empty (the "all" option) is ``None``; anything else is a
    400 naming the field, never a silent "all"."""
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise FieldInvalidError(field, f"无效的取值：{value} / invalid value {value!r}") from None


def choices(field: str, values: Iterable[str], kind: type[E]) -> frozenset[E]:
    return frozenset(c for v in values if (c := choice(field, v, kind)) is not None)


def policy_label(t: Translator, key: str) -> str:
    """A policy by its Chinese title (up to its first bracket) or, in English, its key."""
    for item in shipped():
        if item.key == key:
            return t.pick(item.policy.title.split("（")[0], key)
    return key


def query_string(params: Sequence[tuple[str, str | None]], **changes: str | int) -> str:
    """The list's address parameters with ``changes`` (``offset``, ``sort`` …), empty ones
    left out: the paging and sorting links keep every filter."""
    kept = [(k, v) for k, v in params if v and k not in changes]
    kept += [(k, str(v)) for k, v in changes.items()]
    return urlencode(kept)


def xlsx_response(
    filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]
) -> StreamingResponse:
    """An XLSX download of ``rows``: an openpyxl write-only workbook (rows go to disk as they
    come, never all in memory) saved to a temporary file that is streamed and then removed."""
    from openpyxl import Workbook  # heavy: only when an export is asked for

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    spool: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed when streamed
    book.save(spool)
    spool.seek(0)
    return StreamingResponse(
        _stream(spool),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _stream(spool: IO[bytes]) -> Iterator[bytes]:
    with spool:
        while chunk := spool.read(STREAM_CHUNK):
            yield chunk
