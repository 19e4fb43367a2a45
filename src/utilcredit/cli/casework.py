"""What the case-work command groups share (records, objections, repairs, commitments,
applications): one transaction per command, and the user a command acts as (``--actor``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from sqlalchemy import Connection

from utilcredit.access.model import Principal
from utilcredit.bootstrap import open_store
from utilcredit.cli.common import fail
from utilcredit.errors import UtilcreditError
from utilcredit.records.cases import principal_named


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
