"""The platform's checks on a catalog row, the values' written forms, and the submission
batch's workflow. Pure: rows are the strings that will be written, so an export and
``export validate FILE`` check the same thing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from utilcredit.exchange.catalog import ID_TYPES, Check, Item, Kind
from utilcredit.identifiers.model import IdentifierError, validate_ric, validate_uscc
from utilcredit.workflow import Machine, Transition

RESIDENT_ID = ID_TYPES[0]
ID_TYPE_ITEM = "证件类型"  # the item a natural person's ID number is checked by
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_AMOUNT = re.compile(r"^\d+(\.\d{1,2})?$")
_QUANTITY = re.compile(r"^\d+(\.\d+)?$")
_COUNT = re.compile(r"^\d+$")

#: A form check: the value, the whole row by item name, the USCC allow-list → the reason or None.
FormCheck = Callable[[str, dict[str, str], Collection[str]], str | None]


class ExportFormat(StrEnum):
    CSV = "csv"  # UTF-8 with BOM (Excel opens it as Chinese), or GB18030 on request
    XLSX = "xlsx"
    JSON = "json"  # one array of objects keyed by the data items


class Encoding(StrEnum):
    UTF8_BOM = "utf-8-sig"
    GB18030 = "gb18030"


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason the platform would return a row (行号 counts data rows from 1)."""

    row: int
    item: str
    value: str
    reason: str


def yuan(fen: int) -> str:
    """Integer fen written as yuan with two decimals (``-5`` → ``-0.05``; the check refuses it)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def quantity(milli: int | None) -> str:
    """Thousandths written as a plain decimal without trailing zeros (``12500`` → ``12.5``)."""
    if milli is None:
        return ""
    whole, rest = divmod(milli, 1000)
    return f"{whole}.{rest:03d}".rstrip("0").rstrip(".") if rest else str(whole)


def iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def yes_no(flag: bool) -> str:
    return "是" if flag else "否"


def id_type_name(stored: str | None) -> str:
    """The platform's name of a stored 证件类型 (the importer stores ``身份证`` for resident IDs)."""
    if not stored or stored in {"身份证", "居民身份证"}:
        return RESIDENT_ID
    return stored


def check_row(
    kind: Kind,
    values: Sequence[str],
    row: int,
    today: dt.date,
    *,
    allow_list: Collection[str] = (),
) -> list[Problem]:
    """Every problem of one row, in item order; empty when the platform would take it."""
    if len(values) != len(kind.items):
        return [
            Problem(
                row,
                "(列数)",
                str(len(values)),
                f"应有 {len(kind.items)} 个数据项 / expected {len(kind.items)} items",
            )
        ]
    named = dict(zip(kind.headers, values, strict=True))
    problems = [
        Problem(row, item.name, value, reason)
        for item, value in zip(kind.items, values, strict=True)
        if (reason := _item_problem(item, value, named, allow_list)) is not None
    ]
    if problems:
        return problems  # order and "not later than today" only read well-formed dates
    return _order_problems(kind, values, row, today)


def check_rows(
    kind: Kind,
    rows: Sequence[Sequence[str]],
    first: int,
    today: dt.date,
    *,
    allow_list: Collection[str] = (),
) -> dict[int, list[Problem]]:
    """:func:`check_row` over a block of rows (numbered from ``first``), column by column: each
    distinct value of a column is checked once, so the cost is per distinct value, not per
    cell. Returns the problems of the rows that have any, by their index in ``rows``."""
    if any(len(values) != len(kind.items) for values in rows):
        every = (
            check_row(kind, v, first + i, today, allow_list=allow_list) for i, v in enumerate(rows)
        )
        return {i: found for i, found in enumerate(every) if found}
    if not rows:
        return {}
    problems: dict[int, list[Problem]] = {}
    columns = list(zip(*rows, strict=True))
    id_types = columns[kind.headers.index(ID_TYPE_ITEM)] if ID_TYPE_ITEM in kind.headers else None
    for item, column in zip(kind.items, columns, strict=True):
        if _column_well_formed(item, column):
            continue
        if item.check is Check.PERSON_ID and id_types is not None:
            _column_problems(
                item, list(zip(column, id_types, strict=True)), first, problems, allow_list
            )
        else:
            _column_problems(item, column, first, problems, allow_list)
    _block_order_problems(kind, columns, first, today, problems)
    return problems


def _block_order_problems(
    kind: Kind,
    columns: Sequence[Sequence[str]],
    first: int,
    today: dt.date,
    problems: dict[int, list[Problem]],
) -> None:
    """:func:`_order_problems` for the rows of a block that have no other problem."""
    pairs, dated = kind.order_plan
    found: dict[int, list[Problem]] = {}
    for i, j, earlier, later in pairs:
        for index, (a, b) in enumerate(zip(columns[i], columns[j], strict=True)):
            if a and b and b < a and index not in problems:
                found.setdefault(index, []).append(
                    Problem(first + index, later, b, f"早于{earlier} / before {earlier}")
                )
    if dated is not None:
        day = today.isoformat()
        for index, value in enumerate(columns[dated]):
            if value > day and index not in problems:
                found.setdefault(index, []).append(
                    Problem(
                        first + index,
                        kind.headers[dated],
                        value,
                        "晚于导出日 / after the export day",
                    )
                )
    problems.update(found)


# Whole columns of numbers checked by one regular expression over their lines (C speed): the
# common case, every value well formed, costs no Python per cell. Any other column is checked
# value by value.
_COLUMN_FORMS = {
    Check.AMOUNT: r"\d+(?:\.\d{1,2})?",
    Check.QUANTITY: r"\d+(?:\.\d+)?",
    Check.COUNT: r"\d+",
}


_BLANK_LINE = re.compile(r"^\s*$", re.MULTILINE)


@lru_cache(maxsize=16)
def _column_pattern(form: str, required: bool) -> re.Pattern[str]:
    one = form if required else f"(?:{form})?"
    return re.compile(f"{one}(?:\n{one})*")


def _column_well_formed(item: Item, column: Sequence[str]) -> bool:
    if max(map(len, column)) > item.max_length:
        return False
    if item.check is Check.TEXT:
        # no empty or blank value (a false alarm, e.g. a value holding a line break, only
        # sends the column to the value-by-value check)
        return not item.required or _BLANK_LINE.search("\n".join(column)) is None
    form = _COLUMN_FORMS.get(item.check)
    return form is not None and (
        _column_pattern(form, item.required).fullmatch("\n".join(column)) is not None
    )


def _column_problems(
    item: Item,
    cells: Sequence[Cell],
    first: int,
    problems: dict[int, list[Problem]],
    allow_list: Collection[str],
) -> None:
    """Each distinct cell checked once (a cell: a value, or a value and its row's 证件类型)."""
    reasons = {
        cell: reason
        for cell in set(cells)
        if (reason := _cell_problem(item, cell, allow_list)) is not None
    }
    if reasons:
        for index, cell in enumerate(cells):
            if cell in reasons:
                value = cell if isinstance(cell, str) else cell[0]
                problems.setdefault(index, []).append(
                    Problem(first + index, item.name, value, reasons[cell])
                )


def _cell_problem(item: Item, cell: Cell, allow_list: Collection[str]) -> str | None:
    if isinstance(cell, str):
        return _item_problem(item, cell, _NO_ROW, allow_list)
    return _item_problem(item, cell[0], {ID_TYPE_ITEM: cell[1]}, allow_list)


_NO_ROW: dict[str, str] = {}
#: A cell as its check sees it: the value, or the value and its row's 证件类型.
Cell = str | tuple[str, str]


def _item_problem(
    item: Item, value: str, row: dict[str, str], allow_list: Collection[str]
) -> str | None:
    if not value.strip():
        return "必填数据项为空 / required item is empty" if item.required else None
    if len(value) > item.max_length:
        return f"超过 {item.max_length} 个字符 / longer than {item.max_length} characters"
    return _FORM_CHECKS[item.check](value, row, allow_list)


def _uscc(value: str, _row: dict[str, str], allow_list: Collection[str]) -> str | None:
    return _uscc_reason(value, frozenset(allow_list) if allow_list else _NONE_ALLOWED)


_NONE_ALLOWED: frozenset[str] = frozenset()


# A batch repeats the same codes and dates on many rows (a subject's every payment, the
# utility's own USCC on all of them): each distinct value is checked once.
@lru_cache(maxsize=1 << 16)
def _uscc_reason(value: str, allow_list: frozenset[str]) -> str | None:
    try:
        validate_uscc(value, allow_list=allow_list)
    except IdentifierError as error:
        return str(error)
    return None


@lru_cache(maxsize=1 << 16)
def _ric(value: str) -> str | None:
    try:
        validate_ric(value)
    except IdentifierError as error:
        return str(error)
    return None


def _person_id(value: str, row: dict[str, str], _allow: Collection[str]) -> str | None:
    if row.get(ID_TYPE_ITEM) == RESIDENT_ID:
        return _ric(value)
    if not 5 <= len(value) <= 32:
        return "证件号码长度应为5-32位 / ID number must have 5-32 characters"
    return None


def _subject_code(value: str, row: dict[str, str], allow_list: Collection[str]) -> str | None:
    by_uscc = _uscc(value, row, allow_list)
    return by_uscc if by_uscc is None or _ric(value) is not None else None


def _pattern(pattern: re.Pattern[str], reason: str) -> FormCheck:
    def check(value: str, _row: dict[str, str], _allow: Collection[str]) -> str | None:
        return None if pattern.match(value) else reason

    return check


def _date(value: str, _row: dict[str, str], _allow: Collection[str]) -> str | None:
    return _date_reason(value)


@lru_cache(maxsize=1 << 14)
def _date_reason(value: str) -> str | None:
    if _DATE.match(value):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return None
    return "日期应为 YYYY-MM-DD / date must be YYYY-MM-DD"


def _amount(value: str, _row: dict[str, str], _allow: Collection[str]) -> str | None:
    if value.startswith("-"):
        return "金额不能为负 / amount must not be negative"
    if _AMOUNT.match(value):
        return None
    return "金额应为元，最多两位小数 / amount must be yuan with at most two decimals"


def _one_of(choices: Sequence[str]) -> FormCheck:
    listed = "、".join(choices)

    def check(value: str, _row: dict[str, str], _allow: Collection[str]) -> str | None:
        return None if value in choices else f"应为{listed}之一 / must be one of {listed}"

    return check


def _text(_value: str, _row: dict[str, str], _allow: Collection[str]) -> None:
    return None


_FORM_CHECKS: dict[Check, FormCheck] = {
    Check.TEXT: _text,
    Check.USCC: _uscc,
    Check.PERSON_ID: _person_id,
    Check.SUBJECT_CODE: _subject_code,
    Check.DATE: _date,
    Check.AMOUNT: _amount,
    Check.QUANTITY: _pattern(_QUANTITY, "应为不小于0的数 / must be a non-negative number"),
    Check.COUNT: _pattern(_COUNT, "应为不小于0的整数 / must be a non-negative integer"),
    Check.YES_NO: _one_of(("是", "否")),
    Check.ID_TYPE: _one_of(ID_TYPES),
}


def _order_problems(
    kind: Kind, values: Sequence[str], number: int, today: dt.date
) -> list[Problem]:
    pairs, dated = kind.order_plan
    problems = [
        Problem(number, later, values[j], f"早于{earlier} / before {earlier}")
        for i, j, earlier, later in pairs
        if values[i] and values[j] and values[j] < values[i]  # ISO dates sort as text
    ]
    if dated is not None and values[dated] > today.isoformat():
        problems.append(
            Problem(number, kind.headers[dated], values[dated], "晚于导出日 / after the export day")
        )
    return problems


class BatchStatus(StrEnum):
    CREATED = "created"
    SENT = "sent"
    ACCEPTED = "accepted"
    PARTLY_REJECTED = "partly_rejected"
    REJECTED = "rejected"


BATCH_MACHINE: Machine[BatchStatus] = Machine(
    "报送批次",
    (
        Transition("send", BatchStatus.CREATED, BatchStatus.SENT),
        Transition("accept", BatchStatus.SENT, BatchStatus.ACCEPTED),
        Transition("reject_part", BatchStatus.SENT, BatchStatus.PARTLY_REJECTED),
        Transition("reject", BatchStatus.SENT, BatchStatus.REJECTED),
    ),
    {
        BatchStatus.CREATED: "已生成",
        BatchStatus.SENT: "已报送",
        BatchStatus.ACCEPTED: "已接收",
        BatchStatus.PARTLY_REJECTED: "部分退回",
        BatchStatus.REJECTED: "全部退回",
    },
    {"send": "报送", "accept": "接收", "reject_part": "部分退回", "reject": "全部退回"},
)

#: Batches whose rows the platform holds: the next incremental export starts after them.
TAKEN = frozenset({BatchStatus.ACCEPTED, BatchStatus.PARTLY_REJECTED})


@dataclass(frozen=True, slots=True)
class BatchFile:
    role: str  # data | keys (the source of each data row) | invalid (the validation report)
    name: str
    bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Batch:
    id: int
    catalog: str
    kind: str
    utilities: str  # as stored: ",power,water,"
    mode: str  # full | incremental
    status: str
    as_of: dt.date
    since: dt.datetime | None
    until: dt.datetime
    format: str
    encoding: str | None
    rows: int
    invalid_rows: int
    files: list[dict[str, object]]
    folder: str
    created_by: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    answered_at: dt.datetime | None
    returned_rows: int | None
    platform_ref: str | None  # the platform's receipt, once sent

    @property
    def status_zh(self) -> str:
        return BATCH_MACHINE.labels[BATCH_MACHINE.state(self.status)]

    def file(self, role: str) -> BatchFile | None:
        for entry in self.files:
            if entry["role"] == role:
                return BatchFile(
                    role, str(entry["name"]), int(str(entry["bytes"])), str(entry["sha256"])
                )
        return None


# ---- the platform's answers: returned rows, corrections, error rates ------------------------


class ReturnedStatus(StrEnum):
    OPEN = "open"  # flagged: the platform returned it and it has not been corrected yet
    CORRECTED = "corrected"  # its source data changed (re-import) or an audited edit said so
    RESUBMITTED = "resubmitted"  # its current data went out again in a later batch


RETURNED_MACHINE: Machine[ReturnedStatus] = Machine(
    "退回数据",
    (
        Transition("correct", ReturnedStatus.OPEN, ReturnedStatus.CORRECTED),
        Transition("resubmit", ReturnedStatus.CORRECTED, ReturnedStatus.RESUBMITTED),
    ),
    {
        ReturnedStatus.OPEN: "待更正",
        ReturnedStatus.CORRECTED: "已更正",
        ReturnedStatus.RESUBMITTED: "已重新报送",
    },
    {"correct": "更正", "resubmit": "重新报送"},
)

#: A batch made only of corrected rows: its window is not the kind's window of changes.
CORRECTIONS_MODE = "corrections"


@dataclass(frozen=True, slots=True)
class ReturnedRow:
    id: int
    batch_id: int
    row_no: int
    source_key: str
    error_code: str
    message: str
    status: str
    corrected_by: str | None
    corrected_at: dt.datetime | None
    correction: dict[str, object] | None
    resubmitted_in: int | None
    created_at: dt.datetime

    @property
    def status_zh(self) -> str:
        return RETURNED_MACHINE.labels[RETURNED_MACHINE.state(self.status)]


def answer_action(rows: int, returned: int) -> str:
    """The batch's transition for the platform's answer: rows returned out of rows sent."""
    if returned == 0:
        return "accept"
    return "reject" if returned >= rows else "reject_part"


@dataclass(frozen=True, slots=True)
class ErrorRate:
    """Rows returned over rows sent (seed 002 三(一): 减少错误数据返还修改次数). ``pending``
    rows were sent and not yet answered; they are not in the rate."""

    label: str  # a batch id, a month "2026-11", or a kind within a month
    batches: int
    rows_sent: int
    rows_returned: int
    pending: int = 0

    @property
    def answered(self) -> int:
        return self.rows_sent - self.pending

    @property
    def rate_permille(self) -> int | None:
        """Returned per thousand answered rows, rounded half up (integers, never floats)."""
        if self.answered <= 0:
            return None
        return (self.rows_returned * 2000 + self.answered) // (2 * self.answered)

    @property
    def rate_text(self) -> str:
        """Percent with two decimals (``2.50%``), from integers."""
        if self.answered <= 0:
            return "—"
        basis = (self.rows_returned * 20000 + self.answered) // (2 * self.answered)
        return f"{basis // 100}.{basis % 100:02d}%"


# ---- credit checks (信用核查) and how their results were used (seed 002 附件2 item 5) ---------


class CheckPurpose(StrEnum):
    APPLICATION = "application"  # 信用办理：以信用报告代替权属证明（零证办水、信易电）
    TRUSTWORTHY = "trustworthy"  # 守信主体认定、守信激励（VIP、容缺受理）
    COMMITMENT = "commitment"  # 信用承诺受理
    RATING = "rating"  # 信用等级评定
    REPAIR = "repair"  # 信用修复
    OTHER = "other"  # 其他（须说明）


PURPOSE_ZH = {
    CheckPurpose.APPLICATION: "信用办理（信用报告代替权属证明）",
    CheckPurpose.TRUSTWORTHY: "守信主体认定与激励",
    CheckPurpose.COMMITMENT: "信用承诺受理",
    CheckPurpose.RATING: "信用等级评定",
    CheckPurpose.REPAIR: "信用修复",
    CheckPurpose.OTHER: "其他",
}


class CheckUse(StrEnum):
    GRANTED = "granted"  # 予以办理、给予便利
    REFUSED = "refused"  # 不予办理（核查发现失信记录等）
    INCENTIVE = "incentive"  # 实施守信激励
    MEASURE = "measure"  # 实施失信约束措施
    REFERENCE = "reference"  # 仅作参考
    UNUSED = "unused"  # 未使用（须说明）


USE_ZH = {
    CheckUse.GRANTED: "予以办理",
    CheckUse.REFUSED: "不予办理",
    CheckUse.INCENTIVE: "守信激励",
    CheckUse.MEASURE: "失信约束",
    CheckUse.REFERENCE: "仅作参考",
    CheckUse.UNUSED: "未使用",
}


@dataclass(frozen=True, slots=True)
class CreditCheck:
    id: int
    subject_id: int
    subject_code: str
    utility: str
    purpose: str
    purpose_note: str | None
    source: str  # platform | manual
    status: str  # done | failed
    error: str | None
    report_id: int | None
    result: dict[str, object] | None
    requested_by: str
    requested_at: dt.datetime
    used_for: str | None
    use_note: str | None
    used_by: str | None
    used_at: dt.datetime | None

    @property
    def purpose_zh(self) -> str:
        return PURPOSE_ZH[CheckPurpose(self.purpose)]

    @property
    def used_for_zh(self) -> str | None:
        return USE_ZH[CheckUse(self.used_for)] if self.used_for else None
