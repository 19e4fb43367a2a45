"""Turn raw rows into driver-ready parameter rows, or the reasons a row is rejected (pure).

Two paths with one meaning. :func:`parse_row` is the reference: it parses any cell, reports
every problem of a row, then :meth:`WritePlan.params_from` converts the values. For CSV, the
generated loop of :mod:`fused` turns a row whose cells are all in their plain canonical
spelling straight into parameters and hands any other row to the reference. A property test
holds the two paths to the same parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from utilcredit.config import IMPORT_MAX_FIELD_CHARS
from utilcredit.identifiers import IdentifierError, validate_ric, validate_uscc
from utilcredit.importing.formats import FieldError, KindSpec, brief, printable, text_problem
from utilcredit.importing.repository.upserts import WritePlan

RESIDENT_ID_TYPES = frozenset({"", "身份证", "居民身份证", "resident_id", "ric"})
MISSING = "必填字段为空 / required field is missing"


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a row (or one of its fields) is rejected."""

    field: str | None
    value: str | None
    reason: str


def parse_row(
    spec: KindSpec,
    raw: Mapping[str, Any],
    *,
    allow_list: Collection[str] = (),
    max_field_chars: int = IMPORT_MAX_FIELD_CHARS,
) -> tuple[dict[str, Any], list[Problem]]:
    """Parse every field, then apply the kind's cross-field rules; report every problem found.

    Any cell is untrusted: one longer than ``max_field_chars``, holding bytes that did not
    decode or NUL, or a JSON list or object is rejected before it is parsed, and a parser
    failing in a way it did not foresee rejects the cell rather than the file.
    """
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for field_spec in spec.fields:
        cell = raw.get(field_spec.name)
        value = None
        if cell is not None and cell != "":
            try:
                unfit = _unfit(cell, max_field_chars)
                if unfit:
                    raise FieldError(unfit)
                value = field_spec.parse(cell)
            except FieldError as error:
                problems.append(Problem(field_spec.name, _shown(cell), str(error)))
                values[field_spec.name] = None
                continue
            except (ValueError, ArithmeticError, TypeError) as error:
                reason = brief(f"{type(error).__name__}: {error}", 120)
                problems.append(
                    Problem(
                        field_spec.name,
                        _shown(cell),
                        f"无法解析：{reason} / cannot parse: {reason}",
                    )
                )
                values[field_spec.name] = None
                continue
        if value is None and field_spec.required:
            problems.append(Problem(field_spec.name, None, MISSING))
        values[field_spec.name] = value
    if not problems:
        problems.extend(_date_order_problems(spec, values))
    if not problems:
        problems.extend(_CROSS_FIELD_RULES.get(spec.kind, _no_rules)(values, allow_list))
    return values, problems


def _unfit(cell: Any, max_field_chars: int) -> str | None:
    """Why a cell is not even parsed, or ``None``."""
    if isinstance(cell, str):
        if len(cell) > max_field_chars:
            return f"字段过长（超过{max_field_chars}字符） / a field is longer than {max_field_chars} characters"
        return text_problem(cell)
    if isinstance(cell, list | dict):
        return "应为单个值，不能是列表或对象 / expected a single value, not a list or an object"
    return None


def _shown(cell: Any) -> str:
    """The cell as the reject report shows it: at most 500 characters, storable text."""
    try:
        shown = cell[:500] if isinstance(cell, str) else str(cell)[:500]
    except ValueError:  # an integer with more digits than str() converts
        return "…"
    return printable(shown)


def _date_order_problems(spec: KindSpec, values: Mapping[str, Any]) -> list[Problem]:
    return [
        Problem(later, str(values[later]), f"{later}早于{earlier} / {later} is before {earlier}")
        for earlier, later in spec.date_order
        if values[earlier] is not None
        and values[later] is not None
        and values[later] < values[earlier]
    ]


class RowConverter:
    """Turns the rows of one file into parameter rows for ``plan`` by the reference path.

    CSV rows in their plain spelling take the generated loop (:mod:`fused`) instead; this is
    for the rest (XLSX and JSON Lines cells, and any CSV row the loop hands back).
    """

    def __init__(
        self,
        spec: KindSpec,
        plan: WritePlan,
        index_of: Mapping[str, int],
        allow_list: Collection[str] = (),
        max_field_chars: int = IMPORT_MAX_FIELD_CHARS,
    ) -> None:
        self._spec = spec
        self._plan = plan
        self._index_of = dict(index_of)
        self._allow_list = allow_list
        self._max_field_chars = max_field_chars

    def convert(self, cells: Sequence[Any]) -> tuple[list[Any] | None, list[Problem]]:
        """Parameters (parent slot still holding the parent's natural key) or the problems."""
        values, problems = parse_row(
            self._spec,
            self._as_mapping(cells),
            allow_list=self._allow_list,
            max_field_chars=self._max_field_chars,
        )
        if problems:
            return None, problems
        return self._plan.params_from(values), []

    def _as_mapping(self, cells: Sequence[Any]) -> dict[str, Any]:
        return {name: cells[index] for name, index in self._index_of.items() if index < len(cells)}


def fused_fast_ok(spec: KindSpec, plan: WritePlan) -> bool:
    """Whether a kind's rows can take the fast path at all: no cross-field rules, and a fast
    parser for every parameter."""
    fields = {f.name: f for f in spec.fields}
    return spec.kind not in _CROSS_FIELD_RULES and all(
        fields[source].parse.form is not None for source in plan.sources
    )


def _no_rules(_values: dict[str, Any], _allow: Collection[str]) -> list[Problem]:
    return []


def _subject_rules(values: dict[str, Any], allow_list: Collection[str]) -> list[Problem]:
    raw_code = values["code"]
    try:
        if values["kind"] == "legal":
            values["code"] = validate_uscc(raw_code, allow_list=allow_list)
        elif (values["id_type"] or "").strip().lower() in RESIDENT_ID_TYPES:
            values["code"] = validate_ric(raw_code)
            values["id_type"] = values["id_type"] or "身份证"
        elif not 5 <= len(raw_code) <= 32:
            raise IdentifierError(
                "length", "证件号码长度应为5-32位 / ID number must have 5-32 characters"
            )
    except IdentifierError as error:
        return [Problem("code", raw_code, str(error))]
    return []


_ASSET_CLASS = re.compile(r"^(DN)?\s*(\d+(?:\.\d+)?)\s*(KV)?$", re.IGNORECASE)


def normalize_asset_class(raw: str) -> str:
    """``dn160`` → ``DN160``, ``10KV`` / ``10 kv`` → ``10kV``; anything else is kept as given."""
    match = _ASSET_CLASS.match(raw.strip())
    if not match or bool(match.group(1)) == bool(match.group(3)):
        return raw.strip()
    return f"DN{match.group(2)}" if match.group(1) else f"{match.group(2)}kV"


# What a rule needs to classify an incident: theft by amount, outages by asset class,
# damage by severity (SPEC 3.1 R3/K3, R7/K7, R8/K8).
_INCIDENT_REQUIRES = {
    "theft": "amount",
    "outage_caused": "asset_class",
    "facility_damage": "severity",
}


def _incident_rules(values: dict[str, Any], _allow: Collection[str]) -> list[Problem]:
    if values["asset_class"]:
        values["asset_class"] = normalize_asset_class(values["asset_class"])
    needed = _INCIDENT_REQUIRES.get(values["kind"])
    if needed and values[needed] is None:
        return [
            Problem(
                needed,
                None,
                f"{values['kind']}类事件必须填写{needed} / {needed} is required for {values['kind']}",
            )
        ]
    return []


# Rules that need the reference path (they normalise or validate beyond a cell's spelling).
_CROSS_FIELD_RULES: dict[str, Callable[[dict[str, Any], Collection[str]], list[Problem]]] = {
    "subjects": _subject_rules,
    "incidents": _incident_rules,
}
