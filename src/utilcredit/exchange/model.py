"""The platform's checks on a catalog row, the values' written forms, and the submission
batch's workflow. Pure: rows are the strings that will be written, so an export and
``export validate FILE`` check the same thing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from utilcredit.exchange.catalog import ID_TYPES, Check, Item, Kind
from utilcredit.identifiers.model import IdentifierError, validate_ric, validate_uscc
from utilcredit.workflow import Machine, Transition

RESIDENT_ID = ID_TYPES[0]
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
    return _order_problems(kind, named, row, today)


def _item_problem(
    item: Item, value: str, row: dict[str, str], allow_list: Collection[str]
) -> str | None:
    if not value.strip():
        return "必填数据项为空 / required item is empty" if item.required else None
    if len(value) > item.max_length:
        return f"超过 {item.max_length} 个字符 / longer than {item.max_length} characters"
    return _FORM_CHECKS[item.check](value, row, allow_list)


def _uscc(value: str, _row: dict[str, str], allow_list: Collection[str]) -> str | None:
    try:
        validate_uscc(value, allow_list=allow_list)
    except IdentifierError as error:
        return str(error)
    return None


def _ric(value: str) -> str | None:
    try:
        validate_ric(value)
    except IdentifierError as error:
        return str(error)
    return None


def _person_id(value: str, row: dict[str, str], _allow: Collection[str]) -> str | None:
    if row.get("证件类型") == RESIDENT_ID:
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


def _order_problems(kind: Kind, row: dict[str, str], number: int, today: dt.date) -> list[Problem]:
    problems = [
        Problem(number, later, row[later], f"早于{earlier} / before {earlier}")
        for earlier, later in kind.ordered
        if row[earlier] and row[later] and row[later] < row[earlier]  # ISO dates sort as text
    ]
    if kind.dated_by and row[kind.dated_by] > today.isoformat():
        problems.append(
            Problem(number, kind.dated_by, row[kind.dated_by], "晚于导出日 / after the export day")
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
