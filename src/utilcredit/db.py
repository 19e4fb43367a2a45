"""Engine, metadata and column types shared by every domain's ``tables.py``.

Money is stored as integer fen and quantities as integer thousandths, so sums in SQL are exact
on every backend (SQLite has no exact decimal type); Python sees :class:`~decimal.Decimal`.
Column names carry the unit (``amount_fen``, ``usage_milli``) so hand-written or compiled SQL
cannot mistake them for yuan.
"""

from __future__ import annotations

import importlib
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Engine, MetaData, Select, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ScaledDecimal(TypeDecorator[Decimal]):
    """A Decimal with a fixed number of places, stored as a scaled integer."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int) -> None:
        super().__init__()
        self.places = places

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return to_scaled_int(value, self.places)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.places)


def to_scaled_int(value: Decimal, places: int) -> int:
    """``Decimal('12.30')`` with 2 places → ``1230``; refuses to round silently."""
    scaled = value.scaleb(places)
    whole = int(scaled)
    if scaled != whole:
        raise ValueError(f"{value} has more than {places} decimal places")
    return whole


def Money() -> ScaledDecimal:  # noqa: N802 - reads like a type in table definitions
    """CNY with 2 places, stored as fen."""
    return ScaledDecimal(2)


def Quantity() -> ScaledDecimal:  # noqa: N802
    """Usage (m³, kWh) with 3 places, stored in thousandths."""
    return ScaledDecimal(3)


def positional_sql(statement: Select[*tuple[Any, ...]], dialect: Dialect) -> tuple[str, list[Any]]:
    """A statement as ``dialect``'s text and its positional parameters (each through its
    type's bind processor), for a driver or engine run without SQLAlchemy: DuckDB, Spark, a
    raw cursor. ``IN`` lists are written out, a parameter per item."""
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    processors = compiled._bind_processors
    values: list[Any] = []
    for name in compiled.positiontup or ():
        value = params[name]
        processor = processors.get(name)
        values.append(processor(value) if callable(processor) else value)
    return str(compiled), values


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite files get their folder, WAL and enforced foreign keys."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# Every domain's ``tables.py``, the one list of them: importing one registers its tables on
# :data:`Base.metadata`. Alembic (``migrations/env.py``) and the tests get the whole schema
# through :func:`import_all_tables`; a new domain adds its module here (a test checks that
# none is missing). Names, not imports: this module stays below every domain.
TABLE_MODULES = (
    "utilcredit.customers.tables",
    "utilcredit.importing.tables",
    "utilcredit.rating.runs.tables",
    "utilcredit.access.tables",
    "utilcredit.overrides.tables",
    "utilcredit.audit.tables",
    "utilcredit.records.tables",
    "utilcredit.workdays.tables",
    "utilcredit.commitments.tables",
    "utilcredit.applications.tables",
    "utilcredit.incentives.tables",
    "utilcredit.notices.tables",
    "utilcredit.exchange.tables",
    "utilcredit.disclosure.tables",
)


def import_all_tables() -> MetaData:
    """Register every domain's tables on :data:`Base.metadata` (for Alembic and tests)."""
    for module in TABLE_MODULES:
        importlib.import_module(module)
    return Base.metadata
