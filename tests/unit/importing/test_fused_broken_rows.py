"""A row the csv module cannot parse (e.g. a field past its size limit) is reported as broken
and the generated loop goes on with the next row; blank rows (white space only) are skipped."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from utilcredit.importing import fused
from utilcredit.importing.keys import FirstRows
from utilcredit.importing.repository import upserts


def test_a_row_the_reader_cannot_parse_is_broken_and_the_loop_goes_on() -> None:
    plan = upserts.write_plan("sqlite", "subjects")
    lines = ["code,kind,name,id_type,legal_rep,phone,address,area"]
    lines += [
        "A1,legal,x,,,,,",
        "A2,legal," + "y" * 200_000 + ",,,,,",  # past csv.field_size_limit()
        "  , \u3000,,,,,,",  # blank: white space only
        "A3,legal,z,,,,,",
    ]
    reader = csv.reader(io.StringIO("\n".join(lines) + "\n", newline=""))
    next(reader)
    convert = fused.build("subjects", plan, tuple(range(len(plan.sources))), 8, False)
    slow_rows: list[int] = []
    broken: list[tuple[int, str]] = []

    def slow(row_number: int, _cells: Sequence[str]) -> list[Any] | None:
        slow_rows.append(row_number)
        return None

    def duplicate(_row: int, _key: Any, _first: int) -> None:
        raise AssertionError

    read, eof = convert(
        reader, 100, FirstRows(), {}, [], [], slow, duplicate, lambda n, m: broken.append((n, m))
    )
    assert (read, eof) == (3, True)
    assert slow_rows == [2, 5]
    assert [(n, "field larger than field limit" in m) for n, m in broken] == [(3, True)]
