"""``utilcredit calendar load/show/set/deadline``: the working-day calendar (docs/calendar.md).

Years the ``chinese_calendar`` library knows come from it; ``load`` adds a year's schedule
(or replaces it) from a CSV file, ``set`` corrects one day. Both are audited.

The store and the domain's services are imported inside the commands, so that
``utilcredit calendar --help`` starts without them.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from utilcredit.cli.common import fail, out, parse_as_of
from utilcredit.errors import InvalidInputError, UtilcreditError
from utilcredit.localtime import today
from utilcredit.workdays.model import DayKind, ShownDay

if TYPE_CHECKING:
    from utilcredit.workdays.service import KnownYears

calendar_app = typer.Typer(
    help="工作日日历 / working-day calendar: load, show, set, deadline", no_args_is_help=True
)

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class ShowFormat(StrEnum):
    TABLE = "table"
    JSONL = "jsonl"


ActorOption = Annotated[str, typer.Option("--actor", help="操作人 / who makes the change (audit)")]


@calendar_app.command("load")
def calendar_load(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV 文件（date,kind,name） / CSV file (date,kind,name)",
            exists=True,
            dir_okay=False,
        ),
    ],
    actor: ActorOption,
) -> None:
    """加载节假日安排 / load holidays and adjusted working days from a CSV file.

    Every year the file touches is replaced by its rows and becomes known; a bad row rejects
    the whole file (nothing is written). Loading the same file again changes nothing.
    """
    from utilcredit.bootstrap import open_store
    from utilcredit.workdays import service

    try:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise InvalidInputError(f"无法读取文件 / cannot read {file}: {error}") from None
        with open_store().begin() as connection:
            summary = service.load(connection, data, source=file.name, actor=actor)
    except UtilcreditError as error:
        raise fail(error) from error
    for year in summary.years:
        replaced = f"，替换 {year.replaced} 条 / replaced {year.replaced}" if year.replaced else ""
        out.print(
            f"已加载 / loaded {year.year}: {year.holidays} 天放假 holidays, "
            f"{year.workdays} 天调休上班 workdays{replaced}",
            markup=False,
            highlight=False,
        )


def _source_of_year(year: int, known: KnownYears) -> str:
    for loaded in known.loaded:
        if loaded.year == year:
            return (
                f"已加载 / loaded from {loaded.source} by {loaded.loaded_by} "
                f"({loaded.loaded_at:%Y-%m-%d})"
            )
    return f"{known.library.label}"


def _jsonl(days: list[ShownDay]) -> str:
    return "".join(
        json.dumps(
            {
                "date": d.day.isoformat(),
                "weekday": d.day.isoweekday(),
                "working": d.is_working,
                "name": d.name,
                "source": d.source.value,
            },
            ensure_ascii=False,
        )
        + "\n"
        for d in days
    )


@calendar_app.command("show")
def calendar_show(
    year: Annotated[
        int | None, typer.Option("--year", "-y", help="年份 / year (default: this year)")
    ] = None,
    output_format: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="输出格式 / output format")
    ] = ShowFormat.TABLE,
) -> None:
    """显示某年的节假日与调休上班日 / show a year's holidays and adjusted working days.

    Each day the calendar names, with its source: library (chinese_calendar) or table
    (loaded or corrected here).
    """
    from utilcredit.bootstrap import open_store
    from utilcredit.workdays import service

    shown_year = year or today().year
    try:
        with open_store().connect() as connection:
            days = service.days_of_year(connection, shown_year)
            known = service.known_years(connection)
    except UtilcreditError as error:
        raise fail(error) from error
    if output_format == ShowFormat.JSONL:
        out.print(_jsonl(days), end="", markup=False, highlight=False, soft_wrap=True)
        return
    table = Table(
        title=f"{shown_year} 年节假日与调休 / holidays and adjusted working days",
        caption=escape(_source_of_year(shown_year, known)),
    )
    for column in ("日期 date", "星期 day", "上班 working", "名称 name", "来源 source"):
        table.add_column(column, no_wrap=True)
    for d in days:
        table.add_row(
            d.day.isoformat(),
            WEEKDAYS[d.day.weekday()],
            "上班 yes" if d.is_working else "放假 no",
            escape(d.name),
            d.source.value,
        )
    out.print(table)


@calendar_app.command("set")
def calendar_set(
    day: Annotated[str, typer.Argument(help="日期 / date YYYY-MM-DD")],
    kind: Annotated[DayKind, typer.Argument(help="holiday 放假 | workday 上班")],
    name: Annotated[str, typer.Option("--name", help="名称 / name, e.g. 国庆节, 调休上班")],
    actor: ActorOption,
) -> None:
    """更正某一天 / correct one day; on that date it overrides the library.

    It does not make its year known: a year the library lacks is loaded whole with load.
    """
    from utilcredit.bootstrap import open_store
    from utilcredit.workdays import service

    try:
        date = parse_as_of(day)
        with open_store().begin() as connection:
            result = service.set_day(connection, date, kind == DayKind.WORKDAY, name, actor)
    except UtilcreditError as error:
        raise fail(error) from error
    state = "上班 working day" if result.entry.is_working else "放假 holiday"
    out.print(
        f"已更正 / set {date.isoformat()}: {state} ({result.entry.name})",
        markup=False,
        highlight=False,
    )
    if not result.year_known:
        out.print(
            f"注意：{date.year} 年尚未加载，期限仍无法跨越该年 / note: {date.year} is not "
            "loaded, so deadlines still cannot reach it (utilcredit calendar load FILE)",
            markup=False,
            highlight=False,
        )


@calendar_app.command("deadline")
def calendar_deadline(
    start: Annotated[str, typer.Argument(help="起算日 / start date YYYY-MM-DD (not counted)")],
    working_days: Annotated[int, typer.Argument(help="工作日数 / working days", min=0)],
) -> None:
    """计算期限：起算日之后第 N 个工作日 / the N-th working day after START.

    N = 0: START itself when it is a working day, else the next working day.
    """
    from utilcredit.bootstrap import open_store
    from utilcredit.workdays import service

    try:
        date = parse_as_of(start)
        with open_store().connect() as connection:
            due = service.deadline(connection, date, working_days)
    except UtilcreditError as error:
        raise fail(error) from error
    out.print(f"{due.isoformat()} {WEEKDAYS[due.weekday()]}", markup=False, highlight=False)
