"""The few SQL constructs whose spelling differs between the dialects the batch path runs on.

Everything else in the compiled query is plain SQLAlchemy Core, rendered by SQLAlchemy for SQLite
and PostgreSQL. DuckDB speaks PostgreSQL's dialect closely enough that it is compiled with
:class:`DuckDBDialect` (SQLAlchemy's PostgreSQL compiler, ``qmark`` parameters), and so does
Spark SQL with :class:`SparkDialect` (backquoted names, Spark's type names), so the same
expression tree yields all four texts; where a dialect differs, a ``@compiles`` hook below
says how, once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.dialects.postgresql.base import PGDialect, PGIdentifierPreparer, PGTypeCompiler
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class DuckDBDialect(PGDialect):
    """Compile-only dialect for DuckDB: PostgreSQL syntax, positional ``?`` parameters."""

    name = "duckdb"
    default_paramstyle = "qmark"
    supports_statement_cache = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(paramstyle="qmark", **kwargs)  # type: ignore[no-untyped-call]


class _SparkTypes(PGTypeCompiler):
    """Spark's names for the few types the query casts to (it has no length-less VARCHAR)."""

    def visit_VARCHAR(self, type_: Any, **kw: Any) -> str:  # noqa: N802 - SQLAlchemy's name
        return "STRING"

    def visit_string(self, type_: Any, **kw: Any) -> str:
        return "STRING"

    def visit_INTEGER(self, type_: Any, **kw: Any) -> str:  # noqa: N802 - SQLAlchemy's name
        return "INT"


class _SparkNames(PGIdentifierPreparer):
    """Spark quotes names with backquotes (a double-quoted text is a string there)."""

    def __init__(self, dialect: Any, **kw: Any) -> None:
        super().__init__(dialect, initial_quote="`", escape_quote="`", **kw)


class SparkDialect(PGDialect):
    """Compile-only dialect for Spark SQL: PostgreSQL's syntax, which Spark's parser accepts for
    everything the compiled query uses, with Spark's quoting, types and ``?`` parameters."""

    name = "spark"
    default_paramstyle = "qmark"
    supports_statement_cache = False
    type_compiler_cls = _SparkTypes
    preparer = _SparkNames  # type: ignore[assignment]  # SQLAlchemy types it as the base class

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(paramstyle="qmark", **kwargs)  # type: ignore[no-untyped-call]


class string_agg(FunctionElement[str]):  # noqa: N801 - reads like the SQL function it is
    """Concatenate non-null strings of a group with a separator (order unspecified).

    SQLite before 3.44 has no ordered ``group_concat``, so the order is left to the reader, which
    sorts the items by keys carried inside them (see ``compiler``).
    """

    type = String()
    name = "string_agg"
    inherit_cache = True

    def __init__(self, value: ColumnElement[Any], separator: ColumnElement[Any]) -> None:
        super().__init__(value, separator)


@compiles(string_agg)
def _string_agg_default(element: string_agg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)})"


@compiles(string_agg, "spark")
def _string_agg_spark(element: string_agg, compiler: SQLCompiler, **kw: Any) -> str:
    # NULL for a group without values, as string_agg gives (concat_ws of none would be '')
    value, separator = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CASE WHEN count({value}) > 0 THEN concat_ws({separator}, collect_list({value})) END"


@compiles(string_agg, "sqlite")
def _string_agg_sqlite(element: string_agg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)})"


class concat_text(FunctionElement[str]):  # noqa: N801 - reads like the SQL function it is
    """Many non-null strings joined in one call: ``concat(…)`` where the dialect has it (a chain
    of binary ``||`` copies the growing prefix at every step, quadratic in the pieces), ``||``
    on SQLite, whose ``concat`` came only in 3.44. PostgreSQL takes at most 100 arguments per
    call, so long lists nest."""

    type = String()
    name = "concat_text"
    inherit_cache = True

    def __init__(self, *parts: ColumnElement[Any]) -> None:
        super().__init__(*parts)


_MAX_ARGUMENTS = 90


def _concat_call(pieces: list[str]) -> str:
    while len(pieces) > _MAX_ARGUMENTS:
        pieces = [
            f"concat({', '.join(pieces[i : i + _MAX_ARGUMENTS])})"
            for i in range(0, len(pieces), _MAX_ARGUMENTS)
        ]
    return f"concat({', '.join(pieces)})"


@compiles(concat_text)
def _concat_text_default(element: concat_text, compiler: SQLCompiler, **kw: Any) -> str:
    return _concat_call([compiler.process(part, **kw) for part in element.clauses])


@compiles(concat_text, "spark")
def _concat_text_spark(element: concat_text, compiler: SQLCompiler, **kw: Any) -> str:
    # Spark's concat() is NULL if any part is; concat_ws skips NULLs, as PostgreSQL's concat does
    parts = ", ".join(compiler.process(part, **kw) for part in element.clauses)
    return f"concat_ws('', {parts})"


@compiles(concat_text, "sqlite")
def _concat_text_sqlite(element: concat_text, compiler: SQLCompiler, **kw: Any) -> str:
    return "(" + " || ".join(compiler.process(part, **kw) for part in element.clauses) + ")"
