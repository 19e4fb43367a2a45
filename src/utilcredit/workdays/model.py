"""Chinese working days as a pure calendar (no database, no clock), and the load file's parser.

A day is a working day by the Monday–Friday rule unless the calendar names it: a statutory
holiday (放假) or an adjusted working day (调休上班, usually a weekend). The names come from two
sources, looked up per day in this order:

1. the **table** (``calendar_days``): days an administrator loaded from a file or corrected
   one by one;
2. the **library** (``chinese_calendar``, see :mod:`utilcredit.workdays.statutory`) for the
   years it covers.

A year is *known* when the library covers it or a load declared it complete in the table
(``calendar_years``). Asking about a day of any other year raises
:class:`UnknownCalendarYearError`, naming the year and the load command: a deadline is never
guessed from the Monday–Friday rule alone. A single-day correction does not make its year known.

Counting (the start day itself never counts, as in 期间开始之日不计入期间):

* ``add_working_days(start, n)`` for ``n ≥ 1`` is the n-th working day after ``start``; for
  ``n = 0`` it is the first working day on or after ``start`` (``start`` itself when it is a
  working day). So the result is always a working day, and it never decreases as ``n`` grows.
* ``working_days_between(a, b)`` counts the working days ``d`` with ``a < d ≤ b``; when
  ``b < a`` it is the negated count the other way round, so
  ``working_days_between(a, b) == -working_days_between(b, a)`` and ``(a, a)`` is 0. Hence
  ``working_days_between(s, add_working_days(s, n)) == n`` for every ``n ≥ 1`` (and for
  ``n = 0`` when ``s`` is a working day; from a rest day it is 1).

The load file (CSV, UTF-8, header ``date,kind,name``, ``kind`` ∈ ``holiday`` | ``workday``)
lists a year's exceptions to Monday–Friday; each year it touches is declared complete and its
table entries are replaced by the file's (see docs/calendar.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from utilcredit.errors import InvalidInputError

LOAD_COMMAND = "utilcredit calendar load FILE"
MIN_YEAR = 2000
MAX_YEAR = 2100
NAME_LENGTH = 64
HEADER = ("date", "kind", "name")
MAX_PROBLEMS_SHOWN = 20
_ONE_DAY = dt.timedelta(days=1)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DayKind(StrEnum):
    HOLIDAY = "holiday"  # 放假: not a working day
    WORKDAY = "workday"  # 调休上班: a working day (usually a Saturday or Sunday)


class DaySource(StrEnum):
    LIBRARY = "library"
    TABLE = "table"


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """A day the calendar names: a holiday or an adjusted working day."""

    day: dt.date
    is_working: bool
    name: str

    @property
    def kind(self) -> DayKind:
        return DayKind.WORKDAY if self.is_working else DayKind.HOLIDAY


@dataclass(frozen=True, slots=True)
class ShownDay:
    """A named day with where its status comes from (for display)."""

    day: dt.date
    is_working: bool
    name: str
    source: DaySource


@dataclass(frozen=True, slots=True)
class Library:
    """A statutory calendar's named days and the years it covers completely."""

    days: Mapping[dt.date, CalendarDay]
    years: frozenset[int]
    label: str


NO_LIBRARY = Library({}, frozenset(), "none")


def ordinary_working_day(day: dt.date) -> bool:
    """The Monday–Friday rule, before holidays and adjusted working days."""
    return day.weekday() < 5


class UnknownCalendarYearError(InvalidInputError):
    """A day of a year no one has loaded: the deadline cannot be counted (never guessed)."""

    code = "calendar_year_unknown"

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"{year} 年的节假日安排尚未加载，无法计算工作日；请用 `{LOAD_COMMAND}` 加载 "
            f"{year} 年的安排 / the working-day calendar of {year} is not loaded, so working "
            f"days cannot be counted; load the {year} holiday schedule with `{LOAD_COMMAND}`"
        )


class WorkingCalendar:
    """Working days from the library and the table (the table wins, day by day)."""

    def __init__(
        self,
        library: Library,
        table: Iterable[CalendarDay] = (),
        table_years: Iterable[int] = (),
    ) -> None:
        self.library = library
        self._table = {entry.day: entry for entry in table}
        self.table_years = frozenset(table_years)
        self.known_years = library.years | self.table_years

    def require_year(self, year: int) -> None:
        if year not in self.known_years:
            raise UnknownCalendarYearError(year)

    def named(self, day: dt.date) -> ShownDay | None:
        """The table's or else the library's entry for ``day`` (no year check)."""
        entry = self._table.get(day)
        if entry is not None:
            return ShownDay(entry.day, entry.is_working, entry.name, DaySource.TABLE)
        entry = self.library.days.get(day)
        if entry is not None and day.year in self.library.years:
            return ShownDay(entry.day, entry.is_working, entry.name, DaySource.LIBRARY)
        return None

    def is_working_day(self, day: dt.date) -> bool:
        self.require_year(day.year)
        entry = self._table.get(day)
        if entry is None and day.year in self.library.years:
            entry = self.library.days.get(day)
        return entry.is_working if entry is not None else ordinary_working_day(day)

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after ``start``; ``n = 0``: the first working day on or after it."""
        if n < 0:
            raise InvalidInputError(
                f"工作日数不能为负：{n} / the number of working days cannot be negative: {n}"
            )
        day = start
        if n == 0:
            while not self.is_working_day(day):
                day += _ONE_DAY
            return day
        counted = 0
        while counted < n:
            day += _ONE_DAY
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days ``d`` with ``a < d ≤ b``; negated when ``b < a``."""
        if b < a:
            return -self.working_days_between(b, a)
        for year in range((a + _ONE_DAY).year, b.year + 1) if a < b else ():
            self.require_year(year)
        count = 0
        day = a
        while day < b:
            day += _ONE_DAY
            count += self.is_working_day(day)
        return count

    def days_of_year(self, year: int) -> list[ShownDay]:
        """Every day of ``year`` the calendar names (holidays, also on weekends, and adjusted
        working days), in date order, each with its source."""
        self.require_year(year)
        days = {d for d in self._table if d.year == year}
        if year in self.library.years:
            days.update(d for d in self.library.days if d.year == year)
        return [shown for d in sorted(days) if (shown := self.named(d)) is not None]


# ---- names and the load file -------------------------------------------------------------


def clean_name(name: str) -> str:
    """A day's name, trimmed: required, at most :data:`NAME_LENGTH` characters."""
    cleaned = name.strip()
    if not cleaned:
        raise InvalidInputError("须填写名称（如 国庆节、调休上班） / a name is required")
    if any(unicodedata.category(character).startswith("C") for character in cleaned):
        raise InvalidInputError(
            "名称含有换行或控制字符 / the name contains a line break or control character"
        )
    if len(cleaned) > NAME_LENGTH:
        raise InvalidInputError(
            f"名称过长（最多 {NAME_LENGTH} 个字） / the name is longer than {NAME_LENGTH} characters"
        )
    return cleaned


def check_year(day: dt.date) -> None:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise InvalidInputError(
            f"年份须在 {MIN_YEAR}–{MAX_YEAR} 之间：{day.year} / the year must be between "
            f"{MIN_YEAR} and {MAX_YEAR}: {day.year}"
        )


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why a row (or the whole file, ``row is None``) is rejected; the header is row 1."""

    row: int | None
    field: str | None
    reason: str  # Chinese / English

    def __str__(self) -> str:
        where = "文件 / file" if self.row is None else f"第 {self.row} 行 / row {self.row}"
        return f"{where}" + (f" · {self.field}" if self.field else "") + f": {self.reason}"


class CalendarFileError(InvalidInputError):
    """A load file with bad rows: nothing of it is loaded."""

    code = "calendar_file_invalid"

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems = tuple(problems)
        lines = [str(p) for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        if len(self.problems) > MAX_PROBLEMS_SHOWN:
            more = len(self.problems) - MAX_PROBLEMS_SHOWN
            lines.append(f"…另有 {more} 处 / … and {more} more")
        super().__init__(
            "日历文件有误，未加载任何内容 / calendar file rejected, nothing loaded:\n  "
            + "\n  ".join(lines)
        )


@dataclass(frozen=True, slots=True)
class CalendarFile:
    """A parsed load file: its days in date order and every year it touches (ascending)."""

    days: tuple[CalendarDay, ...]
    years: tuple[int, ...]


class _Reader(Protocol):
    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


def _parse_date(text: str) -> dt.date:
    if not _ISO_DATE.fullmatch(text):
        raise ValueError
    return dt.date.fromisoformat(text)


def parse_calendar_file(data: bytes) -> CalendarFile:
    """Parse a load file; every problem is reported at once (:class:`CalendarFileError`)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CalendarFileError(
            [
                RowProblem(
                    None,
                    None,
                    f"不是 UTF-8 编码（第 {error.start} 字节） / not UTF-8 (byte {error.start})",
                )
            ]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        return _parse_rows(reader)
    except csv.Error as error:
        raise CalendarFileError(
            [RowProblem(reader.line_num, None, f"CSV 格式错误 / malformed CSV: {error}")]
        ) from None


def _parse_rows(reader: _Reader) -> CalendarFile:
    problems: list[RowProblem] = []
    header = next(reader, None)
    if header is None or tuple(cell.strip().lower() for cell in header) != HEADER:
        raise CalendarFileError(
            [
                RowProblem(
                    1,
                    None,
                    f"表头应为 {','.join(HEADER)} / the header must be {','.join(HEADER)}",
                )
            ]
        )
    days: dict[dt.date, CalendarDay] = {}
    first_row: dict[dt.date, int] = {}
    for record in reader:
        row = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue  # blank lines
        if len(record) != len(HEADER):
            problems.append(
                RowProblem(
                    row,
                    None,
                    f"应有 {len(HEADER)} 列，实有 {len(record)} 列 / expected {len(HEADER)} "
                    f"fields, found {len(record)}",
                )
            )
            continue
        date_text, kind_text, name_text = (cell.strip() for cell in record)
        row_problems: list[RowProblem] = []
        day: dt.date | None = None
        try:
            day = _parse_date(date_text)
        except ValueError:
            row_problems.append(
                RowProblem(
                    row,
                    "date",
                    f"日期无效：{date_text!r}（应为 YYYY-MM-DD） / invalid date {date_text!r} "
                    "(expected YYYY-MM-DD)",
                )
            )
        if day is not None:
            try:
                check_year(day)
            except InvalidInputError as error:
                row_problems.append(RowProblem(row, "date", str(error)))
                day = None
        if day is not None and day in first_row:
            row_problems.append(
                RowProblem(
                    row,
                    "date",
                    f"日期与第 {first_row[day]} 行重复 / the same date as row {first_row[day]}",
                )
            )
        kind: DayKind | None = None
        try:
            kind = DayKind(kind_text.lower())
        except ValueError:
            row_problems.append(
                RowProblem(
                    row,
                    "kind",
                    f"类型无效：{kind_text!r}（应为 holiday 放假 或 workday 上班） / invalid "
                    f"kind {kind_text!r} (expected holiday or workday)",
                )
            )
        name: str | None = None
        try:
            name = clean_name(name_text)
        except InvalidInputError as error:
            row_problems.append(RowProblem(row, "name", str(error)))
        if row_problems or day is None or kind is None or name is None:
            problems.extend(row_problems)
            continue
        first_row[day] = row
        days[day] = CalendarDay(day, kind == DayKind.WORKDAY, name)
    if not problems and not days:
        problems.append(RowProblem(None, None, "文件中没有日期 / the file lists no days"))
    if problems:
        raise CalendarFileError(problems)
    ordered = tuple(days[d] for d in sorted(days))
    return CalendarFile(ordered, tuple(sorted({d.day.year for d in ordered})))
