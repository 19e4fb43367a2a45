"""How the case-work commands print a result: Chinese text lines (``--format text``, the
default) or one JSON object a line (``--format jsonl``), dates as ISO text."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer

T = TypeVar("T")


class Format(StrEnum):
    TEXT = "text"
    JSONL = "jsonl"


FormatOption = Annotated[Format, typer.Option("--format", help="输出格式 / output: text | jsonl")]


def iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def emit_json(value: Mapping[str, Any]) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, default=str))


def emit(output: Format, text: str | list[str], value: Mapping[str, Any]) -> None:
    """The result: Chinese text lines, or one JSON line."""
    if output == Format.JSONL:
        emit_json(value)
        return
    for line in [text] if isinstance(text, str) else text:
        typer.echo(line)


def emit_each(
    output: Format,
    found: Iterable[T],
    text: Callable[[T], str],
    value: Callable[[T], Mapping[str, Any]],
    *,
    none: str,
) -> None:
    """A list: a line (or a JSON line) an item; ``none`` as text when there is none."""
    listed = False
    for item in found:
        emit(output, text(item), value(item))
        listed = True
    if output == Format.TEXT and not listed:
        typer.echo(none)
