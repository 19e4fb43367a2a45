"""The fast paths of the import are the reference path, only faster.

For any cell strings: where the generated loop accepts a row, the reference path accepts it too and
gives the same driver parameters; where it declines, the reference decides (and
the loop hands the row to it). Holds the generated CSV loop (:mod:`fused`) to the reference,
:class:`RowConverter` (:func:`parse_row` + :meth:`WritePlan.params_from`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from utilcredit.importing import fused
from utilcredit.importing.formats import KINDS
from utilcredit.importing.keys import FirstRows
from utilcredit.importing.repository import upserts
from utilcredit.importing.validation import RowConverter, fused_fast_ok

FAST_KINDS = [
    kind for kind in KINDS if fused_fast_ok(KINDS[kind], upserts.write_plan("sqlite", kind))
]

# Spellings near the edges of each parser, mixed with arbitrary text.
TRICKY = [
    "",
    " ",
    "\u3000",
    "0",
    "00",
    "1",
    "12",
    "12.",
    ".5",
    "1.5",
    "1.50",
    "1.505",
    "1.5000",
    "1,234.5",
    "-1",
    "+1",
    "1e3",
    "NaN",
    "Infinity",
    "１２",
    "١٢",
    "1_000",
    " 12",
    "12 ",
    "2026-01-15",
    "2026-02-29",
    "2028-02-29",
    "2026-13-01",
    "2026-1-15",
    "2026/01/15",
    "20260115",
    "2026年1月15日",
    " 2026-01-15",
    "2026-01-15 ",
    "２０２６-01-15",
    "true",
    "false",
    "True",
    "是",
    "否",
    "1",
    "water",
    "power",
    "Water",
    " water",
    "水",
    "prepaid",
    "postpaid",
    "预付",
    "A",
    "a",
    "E",
    "jiangsu",
    "W001",
    "w001",
    "W 001",
    "91110108551385082Q",
    "91110108551385082q",
    "x" * 17,
    "x" * 65,
    "x" * 300,
    "m³",
]
# The generated loop only reads clean files (``SourceFile.clean``: every byte decoded, no NUL);
# other files take the reference path for every row, which rejects such cells.
cells = st.one_of(
    st.sampled_from(TRICKY),
    st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=12),
    st.from_regex(r"\d{1,6}(\.\d{1,4})?"),
)


class OneRow:
    """A ``csv.reader`` stand-in: the given rows, with line numbers from 2."""

    def __init__(self, rows: Sequence[list[str]]) -> None:
        self._rows = rows
        self.line_num = 1

    def __iter__(self) -> Iterator[list[str]]:
        for row in self._rows:
            self.line_num += 1
            yield row


def fast_only(kind: str, row: list[str]) -> list[Any] | None:
    """The generated loop's own answer for one row, or None where it hands the row on."""
    plan = upserts.write_plan("sqlite", kind)
    positions = tuple(range(len(plan.sources)))
    convert = fused.build(kind, plan, positions, len(row), True)
    out: list[tuple[Any, ...]] = []
    pending: list[tuple[int, list[Any]]] = []
    handed_on: list[int] = []

    def slow(row_number: int, _cells: Sequence[str]) -> list[Any] | None:
        handed_on.append(row_number)
        return None

    def duplicate(_row: int, _key: Any, _first: int) -> None:
        raise AssertionError("one row cannot repeat a key")

    def broken(_row: int, message: str) -> None:
        raise AssertionError(f"a list of cells is never broken: {message}")

    read, _eof = convert(OneRow([row]), 10, FirstRows(), {}, out, pending, slow, duplicate, broken)
    if not any(cell.strip() for cell in row):
        assert (read, handed_on) == (0, [])  # a blank row is skipped, as the reader does
        return None
    assert read == 1
    if handed_on:
        assert not out and not pending
        return None
    if plan.parent_position is None:
        (params,) = out
        return list(params)
    ((row_number, params_list),) = pending  # no parent known: its natural key stays in place
    assert row_number == 2
    return params_list


def reference(kind: str, row: list[str]) -> list[Any] | None:
    plan = upserts.write_plan("sqlite", kind)
    index_of = {source: i for i, source in enumerate(plan.sources)}
    params, _problems = RowConverter(KINDS[kind], plan, index_of).convert(row)
    return params


@st.composite
def kind_and_row(draw: st.DrawFn) -> tuple[str, list[str]]:
    kind = draw(st.sampled_from(FAST_KINDS))
    width = len(upserts.write_plan("sqlite", kind).sources)
    return kind, draw(st.lists(cells, min_size=width, max_size=width))


@settings(max_examples=800, deadline=None)
@given(kind_and_row())
def test_generated_loop_accepts_only_what_the_reference_accepts_alike(
    case: tuple[str, list[str]],
) -> None:
    kind, row = case
    fast = fast_only(kind, row)
    if fast is not None:
        assert fast == reference(kind, row)


@settings(max_examples=200, deadline=None)
@given(kind_and_row())
def test_plain_rows_take_the_fast_path(case: tuple[str, list[str]]) -> None:
    """The generated loop is not vacuous: a row the reference takes in canonical spelling
    (what the demo data and most billing exports hold) is converted without help."""
    kind, row = case
    params = reference(kind, row)
    if params is None:
        return
    plan = upserts.write_plan("sqlite", kind)
    spec = {f.name: f for f in KINDS[kind].fields}
    canonical = [
        "" if value is None else _spelled(spec[source].parse.form, value)
        for source, value in zip(plan.sources, params, strict=True)
    ]
    assert fast_only(kind, canonical) == params


def _spelled(form: tuple[str, object] | None, value: Any) -> str:
    """The canonical spelling of a driver value."""
    assert form is not None
    if form[0] == "decimal":
        places = form[1]
        assert isinstance(places, int)
        whole, fraction = divmod(int(value), 10**places)
        return f"{whole}.{fraction:0{places}d}"
    if form[0] == "bool":
        return "true" if value else "false"
    return str(value)


def test_plain_bills_row_is_converted_in_the_loop() -> None:
    row = [
        "B001",
        "W001",
        "2026-01-01",
        "2026-01-31",
        "120.5",
        "m³",
        "512.13",
        "2026-02-15",
    ]
    assert fast_only("bills", row) == [
        "B001",
        "W001",
        "2026-01-01",
        "2026-01-31",
        120500,
        "m³",
        51213,
        "2026-02-15",
    ]
