"""What every command-line module shares: consoles, the error exit, dates and policy options."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console

from utilcredit.errors import InvalidInputError, UtilcreditError
from utilcredit.localtime import today
from utilcredit.policies.loader import LoadedPolicy, PolicyError, load_policy_ref

console = Console(stderr=True)  # progress, warnings, errors
out = Console()  # results


def fail(error: UtilcreditError) -> typer.Exit:
    """Print a domain error (no traceback) and exit with its code; use as ``raise fail(e)``."""
    console.print(f"[red]错误 / error:[/red] {error}", markup=True, highlight=False)
    return typer.Exit(error.exit_code)


def parse_as_of(value: str | None, default: dt.date | None = None) -> dt.date:
    if value is None:
        return default or today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            f"日期无效：{value}（应为YYYY-MM-DD） / invalid date {value} (expected YYYY-MM-DD)"
        ) from None


def policy_in_force(ref: str, as_of: dt.date) -> LoadedPolicy:
    """A shipped policy key (the version in force at ``as_of``) or a policy file."""
    try:
        return load_policy_ref(ref, as_of)
    except PolicyError as error:
        raise InvalidInputError(f"无法加载评级政策 / cannot load policy {ref}: {error}") from error


PolicyOption = Annotated[
    str,
    typer.Option(
        "--policy", "-p", help="政策键或文件 / policy key (e.g. lianshui-water) or YAML file"
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="评价日期 / as-of date YYYY-MM-DD (default: today, Asia/Shanghai)"
    ),
]
