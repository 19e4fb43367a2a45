"""What every reader yields: raw rows ``(row_number, cells)``, a :class:`BrokenRow` for a
row that cannot be read at all, and the :class:`Header` that says which cell holds which
field."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from utilcredit.errors import ImportFileError
from utilcredit.importing.formats import KindSpec, brief

Progress = Callable[[int], None]
Cells = Sequence[Any]
RawRow = tuple[int, "Cells | BrokenRow"]


@dataclass(frozen=True, slots=True)
class BrokenRow:
    reason: str


@dataclass(slots=True)
class Header:
    """How a file's columns map onto the kind's fields."""

    index_of: dict[str, int]  # canonical field → cell index
    ignored: list[str] = field(default_factory=list)
    width: int = 0  # CSV: the header's number of columns
    # canonical field → the header the file names it by (e.g. ``统一社会信用代码``), so a
    # reject report speaks the file's own words; empty for files without a header row.
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def in_field_order(cls, spec: KindSpec) -> Header:
        return cls({name: index for index, name in enumerate(spec.field_names)})


def map_header(spec: KindSpec, names: list[str]) -> Header:
    """Match header cells to fields; a missing required column rejects the whole file."""
    accepted = spec.header_map()
    index_of: dict[str, int] = {}
    used: dict[str, str] = {}
    ignored: list[str] = []
    for index, name in enumerate(names):
        canonical = accepted.get(str(name or "").strip().lower())
        if canonical is None or canonical in index_of:
            ignored.append(brief(name, 100))
        else:
            index_of[canonical] = index
            used[canonical] = brief(str(name).strip(), 100)
    missing = [name for name in spec.required if name not in index_of]
    if missing:
        raise ImportFileError(
            f"缺少必填列：{', '.join(missing)} / missing required columns: {', '.join(missing)}"
        )
    return Header(index_of, ignored, names=used)
