"""The CSV import's hot loop, generated once per kind and column layout.

For a CSV file the whole per-row path — checking each cell is in its plain canonical
spelling, turning it into its driver value, rejecting a key already seen in the file and
attaching the parent's id — runs as one generated Python function with every check inlined
(a function call per cell cost more than the check itself). The generated code is a
transcription of the fast parsers in :mod:`formats` (``Parser.form`` says which); a row whose
cells are not all plain goes to ``slow``, the reference path (:func:`validation.parse_row`),
which decides and reports. A property test holds the generated code to the reference.

Generated function::

    convert(reader, limit, seen, parents, out, pending, slow, duplicate, broken)
        -> (rows_read, eof)

``reader`` iterates lists of cell strings and has ``line_num`` (a ``csv.reader``); at most
``limit`` non-blank rows are consumed. A row is blank when every cell is empty or white
space; it is skipped, not rejected. A row the reader cannot parse (``csv.Error``, e.g. a
field beyond the csv module's size limit) goes to ``broken(row_number, message)`` and the
loop carries on with the next line. Accepted rows are appended to ``out`` as tuples of
driver values in the write plan's order, with the parent's id in place; a row whose parent is
not (yet) in ``parents`` goes to ``pending`` as ``(row_number, list)`` with the parent's
natural key in the parent slot, for the caller to look up. ``parents`` maps natural key → id,
and a negative id marks a key known to be missing. ``seen`` is the file's
:class:`keys.FirstRows`: a row whose key came before goes to ``duplicate(row_number, key,
first_row)``; the check runs inline on the table :meth:`keys.FirstRows.hot` hands out.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any, Protocol

from utilcredit.importing.formats import KINDS, MAX_CODE_CHARS, MAX_INTEGER_DIGITS
from utilcredit.importing.keys import FirstRows, Parents
from utilcredit.importing.repository.upserts import WritePlan


class Fallback(Exception):  # noqa: N818 - a signal, not an error
    """A cell is not plain: the row goes to the reference path."""


class RowSource(Protocol):
    """What the generated loop reads: rows of cell strings and the current line number."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...


Slow = Callable[[int, Sequence[str]], list[Any] | None]
Duplicate = Callable[[int, Any, int], None]
Broken = Callable[[int, str], None]


class Convert(Protocol):
    def __call__(
        self,
        reader: RowSource,
        limit: int,
        seen: FirstRows,
        parents: Parents,
        out: list[tuple[Any, ...]],
        pending: list[tuple[int, list[Any]]],
        slow: Slow,
        duplicate: Duplicate,
        broken: Broken,
    ) -> tuple[int, bool]: ...


def _valid_date(cell: str, known: set[str]) -> None:
    """The plain ISO date check (``YYYY-MM-DD``, a real date); valid dates are remembered."""
    if len(cell) != 10 or cell[4] != "-" or cell[7] != "-" or not cell.isascii():
        raise Fallback
    try:
        dt.date.fromisoformat(cell)
    except ValueError:
        raise Fallback from None
    if len(known) >= 100_000:  # a calendar's worth is plenty; keep memory bounded
        known.clear()
    known.add(cell)


def _cell_code(
    form: tuple[str, object], var: str, value: str, names: dict[str, object]
) -> list[str]:
    """Statements checking cell ``var`` (non-empty) and assigning its driver value to ``value``."""
    kind, arg = form
    if kind == "text":
        assert isinstance(arg, int)
        return [
            f"if len({var}) > {arg} or {var}.strip() != {var}: raise Fallback",
            f"{value} = {var}",
        ]
    if kind == "code":
        return [
            f"if len({var}) > {MAX_CODE_CHARS} or not ({var}.isascii() and {var}.isalnum())"
            f" or {var}.upper() != {var}: raise Fallback",
            f"{value} = {var}",
        ]
    if kind == "choice":
        name = f"_plain_{len(names)}"
        names[name] = arg
        return [f"if {var} not in {name}: raise Fallback", f"{value} = {var}"]
    if kind == "date":
        return [f"if {var} not in known_dates: valid_date({var}, known_dates)", f"{value} = {var}"]
    if kind == "decimal":
        assert isinstance(arg, int)
        places = arg
        return [
            f"w, d, f = {var}.partition('.')",
            f"if not (w.isdigit() and w.isascii()) or len(w) > {MAX_INTEGER_DIGITS} or len(f) > "
            f"{places} or (d and not (f.isdigit() and f.isascii())): raise Fallback",
            f"{value} = int(w + f.ljust({places}, '0'))",
        ]
    if kind == "bool":
        return [f"{value} = BOOLS[{var}]"]
    raise ValueError(f"unknown parser form {kind}")


@cache
def build(
    kind: str, plan: WritePlan, positions: tuple[int, ...], width: int, fast: bool
) -> Convert:
    """The loop for ``kind`` where the plan's i-th parameter is in column ``positions[i]``
    (``-1``: no such column) of a ``width``-column file; ``fast=False``: every row goes slow."""
    spec = KINDS[kind]
    fields = {f.name: f for f in spec.fields}
    names: dict[str, object] = {
        "Fallback": Fallback,
        "CsvError": csv.Error,
        "valid_date": _valid_date,
        "BOOLS": {"true": True, "false": False},
    }
    count = len(plan.sources)
    values = [f"v{i}" for i in range(count)]
    body: list[str] = []
    if fast:
        body.append(", ".join([f"c{i}" for i in range(width)] + [""]) + " = cells")
        for i, (source, column) in enumerate(zip(plan.sources, positions, strict=True)):
            field = fields[source]
            form = field.parse.form
            if form is None:
                raise ValueError(f"{kind}.{source} has no fast form")
            if column < 0:
                if field.required:
                    body.append("raise Fallback")
                body.append(f"v{i} = None")
                continue
            cell = f"c{column}"
            checks = _cell_code(form, cell, f"v{i}", names)
            if field.required:
                body.append(f'if {cell} == "": raise Fallback')
                body.extend(checks)
            else:
                body.append(f'if {cell} == "": v{i} = None')
                body.append("else:")
                body.extend("    " + line for line in checks)
        position = {source: i for i, source in enumerate(plan.sources)}
        for earlier, later in spec.date_order:  # ISO dates compare as text
            a, b = position[earlier], position[later]
            body.append(f"if v{b} is not None and v{a} is not None and v{b} < v{a}: raise Fallback")
    else:
        body.append("raise Fallback")

    keys = plan.key_positions
    key = f"v{keys[0]}" if len(keys) == 1 else "(" + ", ".join(f"v{i}" for i in keys) + ")"
    slot = plan.parent_position
    # The row loop sits in a ``try`` of its own: a ``csv.Error`` leaves the loop, the row is
    # reported broken and the loop resumes with the reader's next line (the reader can go on).
    # A ``try`` costs nothing until something is raised.
    # The key's first row, inline (a method call a row cost as much as the check): the probe
    # and insert of FirstRows.setdefault on the table FirstRows.hot hands out.
    seen_check = [
        f"key = {key}",
        "hashed = hash_key(key)",
        "tag = hashed >> 32 & 0xFFFFFFFF or 1",
        "at = hashed & mask",
        "found = tags[at]",
        "while found:",
        "    if found == tag:",
        "        first = first_row(seqs[at], key)",
        "        if first is not None:",
        "            break",
        "    at = at + 1 & mask",
        "    found = tags[at]",
        "else:",
        "    first = n",
        "    tags[at] = tag",
        "    seqs[at] = count",
        "    count += 1",
        "    add_row(n)",
        "    add_key(key)",
        "    room -= 1",
        "    if not room:",
        "        tags, seqs, mask, count, room, add_row, add_key, hash_key = settle(count, room)",
    ]
    row_loop = [
        "for cells in reader:",
        "    n = reader.line_num",
        "    try:",
        *("        " + line for line in body),
        "    except (Fallback, ValueError, KeyError, IndexError, TypeError):",
        "        if not any(cells) or not any(cell.strip() for cell in cells):",
        "            continue",
        "        row = slow(n, cells)",
        "        if row is None:",
        "            read += 1",
        "            if read >= limit:",
        "                return read, False",
        "            continue",
        f"        {', '.join([*values, ''])} = row",
        "    read += 1",
        *("    " + line for line in seen_check),
        "    if first != n:",
        "        duplicate(n, key, first)",
    ]
    if slot is None:
        row_loop += ["    else:", f"        append(({', '.join([*values, ''])}))"]
    else:
        with_parent = [*values]
        with_parent[slot] = "p"
        row_loop += [
            "    else:",
            f"        p = lookup(v{slot})",
            "        if p is None or p < 0:",
            f"            pending.append((n, [{', '.join(values)}]))",
            "        else:",
            f"            append(({', '.join([*with_parent, ''])}))",
        ]
    row_loop += [
        "    if read >= limit:",
        "        return read, False",
        "return read, True",
    ]
    lines = [
        "def convert(reader, limit, seen, parents, out, pending, slow, duplicate, broken):",
        "    known_dates = KNOWN_DATES",
        "    tags, seqs, mask, count, room, add_row, add_key, hash_key = seen.hot()",
        "    first_row, settle = seen.first_row, seen.settle",
        "    lookup = parents.get",
        "    append = out.append",
        "    read = 0",
        "    try:",
        "        while True:",
        "            try:",
        *("                " + line for line in row_loop),
        "            except CsvError as error:",
        "                read += 1",
        "                broken(reader.line_num, str(error))",
        "                if read >= limit:",
        "                    return read, False",
        "    finally:",
        "        settle(count, room)  # the keys this call added, however it ends",
    ]
    names["KNOWN_DATES"] = set()  # valid ISO dates seen (bounded by the calendar)
    source_code = "\n".join(lines)
    exec(compile(source_code, f"<import loop for {kind}>", "exec"), names)
    convert: Convert = names["convert"]  # type: ignore[assignment]
    convert.source = source_code  # type: ignore[attr-defined]
    return convert
