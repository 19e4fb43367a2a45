"""What every command-line module shares: consoles, the error exit, dates, subject codes and
policy options.

Imports of the domains stay inside the functions that need them: every command module
imports this one, and ``utilcredit <group> --help`` should not pay for the rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from utilcredit.errors import FieldInvalidError, InvalidInputError, NotFoundError, UtilcreditError
from utilcredit.localtime import today

if TYPE_CHECKING:
    from utilcredit.policies.loader import LoadedPolicy

console = Console(stderr=True)  # progress, warnings, errors
out = Console()  # results

DATE_FORMS = "YYYY-MM-DD、YYYY/MM/DD、YYYYMMDD、YYYY年M月D日"


def fail(error: UtilcreditError) -> typer.Exit:
    """Print a domain error (no traceback) and exit with its code; use as ``raise fail(e)``.

    An error about one field names it, so the user knows which option to mend."""
    message = str(error)
    if isinstance(error, FieldInvalidError):
        message = f"{message}（字段 / field: {error.field}）"
    console.print(f"[red]错误 / error:[/red] {message}", markup=True, highlight=False)
    return typer.Exit(error.exit_code)


def parse_date(value: str) -> dt.date:
    """A date in any form the importer accepts (billing systems export all of them)."""
    from utilcredit.importing.formats import FieldError
    from utilcredit.importing.formats import parse_date as importer_date

    try:
        day = importer_date(value.strip())
    except FieldError:
        raise InvalidInputError(
            f"日期无效：{value}（应为{DATE_FORMS}） / invalid date {value} "
            "(expected YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or YYYY年M月D日)"
        ) from None
    if not isinstance(day, dt.date):  # pragma: no cover - the importer's parser returns dates
        raise TypeError(day)
    return day


def parse_as_of(value: str | None, default: dt.date | None = None) -> dt.date:
    """A date option: ``default`` (else today, Asia/Shanghai) when it is not given."""
    if value is None:
        return default or today()
    return parse_date(value)


def code_mistake(code: str, field: str) -> FieldInvalidError | None:
    """Why ``code`` cannot be any subject's code when its check character is wrong, else None.

    Asked after a lookup found nothing, never before: codes on the deployment's allow list
    are stored although their check character is wrong."""
    from utilcredit.identifiers.model import IdentifierError, validate_ric, validate_uscc

    problems: list[IdentifierError] = []
    for validate in (validate_ric, validate_uscc):
        try:
            validate(code)
        except IdentifierError as error:
            problems.append(error)
        else:
            return None  # a well-formed code: the subject is simply not there
    wrong_check = next((p for p in problems if p.reason == "check"), None)
    if wrong_check is None:
        return None
    zh, _, en = str(wrong_check).partition(" / ")
    return FieldInvalidError(field, f"主体代码 {code} 的{zh} / subject code {code}: {en}")


# How every service says a subject code names no subject (as not found, or, validating a
# form, as an invalid field). Other errors pass unchanged: an unknown actor is not a bad
# code, and a stored code may fail the check (the allow list).
NO_SUBJECT = "没有该主体"


@contextmanager
def looking_up(code: str, field: str) -> Iterator[None]:
    """Turn "no such subject" into "the check character is wrong" when it is."""
    try:
        yield
    except (InvalidInputError, NotFoundError) as error:
        mistake = code_mistake(code, field) if NO_SUBJECT in str(error) else None
        if mistake is None:
            raise
        raise mistake from error


def policy_in_force(ref: str, as_of: dt.date) -> LoadedPolicy:
    """A shipped policy key (the version in force at ``as_of``) or a policy file."""
    from utilcredit.policies.loader import PolicyError, load_policy_ref

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
UnmaskedOption = Annotated[
    bool,
    typer.Option(
        "--unmasked",
        help="显示完整身份证号（仅限有权查看者） / show natural persons' ID numbers in full",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="评价日期 / as-of date: 2026-11-30, 2026/11/30, 20261130 or 2026年11月30日 "
        "(default: today, Asia/Shanghai)",
    ),
]
