"""What the case-work command groups share (records, objections, repairs, commitments,
applications, notices): one transaction per command, the user a command acts as (``--actor``),
the date of a step (``--date``) and the letter fields a step records (``--field``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Annotated

import typer
from sqlalchemy import Connection

from utilcredit.access.model import Principal
from utilcredit.bootstrap import open_store
from utilcredit.cli.common import fail, parse_as_of
from utilcredit.errors import FieldInvalidError, InvalidInputError, UtilcreditError
from utilcredit.records.cases import principal_named

ActorOption = Annotated[
    str, typer.Option("--actor", help="操作用户（审计留痕） / acting user name (audit trail)")
]
DateOption = Annotated[
    str | None, typer.Option("--date", help="办理日期 / date of the step (default: today)")
]
FieldOption = Annotated[
    list[str] | None,
    typer.Option("--field", help="承诺书字段 name=value（可多次） / letter field, repeatable"),
]


@contextmanager
def transaction(
    report: Callable[[UtilcreditError], typer.Exit] = fail,
) -> Iterator[Connection]:
    """One transaction; a domain error exits with its code (printed by ``report``) and
    nothing is written."""
    try:
        with open_store().begin() as connection:
            yield connection
    except UtilcreditError as error:
        raise report(error) from None


def acting(connection: Connection, actor: str | None) -> Principal | None:
    """The user named by ``--actor``; without it the system itself (derivation, the calendar)."""
    return None if actor is None else principal_named(connection, actor)


def step() -> AbstractContextManager[Connection]:
    """One transaction; an error naming a field says which (``common.fail`` names it)."""
    return transaction()


def day_of(value: str | None, option: str, default: dt.date | None = None) -> dt.date:
    """A date option; a bad one is refused with the option named."""
    try:
        return parse_as_of(value, default)
    except InvalidInputError as error:
        raise fail(FieldInvalidError(option, str(error))) from None


def optional_day(value: str | None, option: str) -> dt.date | None:
    return None if value is None else day_of(value, option)


def field_values(pairs: list[str] | None) -> dict[str, str]:
    """``--field name=value`` options as a mapping (a name given twice: the last wins)."""
    values: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise fail(
                FieldInvalidError(
                    "field", f"--field 应为 name=value：{pair} / --field must be name=value"
                )
            )
        values[name.strip()] = value
    return values
