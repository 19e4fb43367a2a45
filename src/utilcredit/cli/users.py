"""``utilcredit user add/list/disable/enable/reset-password/unlock``. These run on the server,
so they may do what no administrator may do through the API: create users with roles that
reach every utility (the credit office), and manage any user.

The store and the domain's services are imported inside the commands, so that
``utilcredit user --help`` starts without them."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from utilcredit.access.model import ThrottleScope, parse_roles, parse_utilities
from utilcredit.errors import UtilcreditError

user_app = typer.Typer(
    help="用户 / users: add, list, disable, enable, reset-password, unlock", no_args_is_help=True
)
out = Console()
err = Console(stderr=True)


def _actor() -> str:
    """Who runs the command, for the audit log."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "cli"


def _fail(error: UtilcreditError) -> typer.Exit:
    err.print(f"[red]错误 / error:[/red] {error}")
    return typer.Exit(error.exit_code)


def _new_password(given: str | None) -> str:
    if given:
        return given
    first = getpass.getpass("密码 / password: ")
    if getpass.getpass("再次输入 / repeat: ") != first:
        err.print("[red]错误 / error:[/red] 两次输入不一致 / the passwords differ")
        raise typer.Exit(2)
    return first


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="用户名 / user name")],
    role: Annotated[
        list[str],
        typer.Option("--role", "-r", help="admin, operator, reviewer, credit_office, auditor"),
    ],
    utility: Annotated[list[str], typer.Option("--utility", "-u", help="water, power")],
    display_name: Annotated[str | None, typer.Option(help="显示名 / display name")] = None,
    password: Annotated[
        str | None,
        typer.Option(help="密码（不给则提示输入） / password (prompted when absent)"),
    ] = None,
) -> None:
    """添加用户 / add a user with roles and utility memberships."""
    from utilcredit.access import service as access
    from utilcredit.bootstrap import open_store

    try:
        roles = parse_roles(role)
        utilities = parse_utilities(utility)
    except ValueError as error:
        err.print(f"[red]错误 / error:[/red] {error}")
        raise typer.Exit(2) from None
    secret = _new_password(password)
    engine = open_store()
    try:
        with engine.begin() as connection:
            access.create_user(
                connection,
                username=username,
                display_name=display_name,
                password=secret,
                roles=roles,
                utilities=utilities,
                actor=_actor(),
            )
    except UtilcreditError as error:
        raise _fail(error) from None
    out.print(
        f"已添加 / added {username}: {', '.join(sorted(roles))} · {', '.join(sorted(utilities))}"
    )


@user_app.command("list")
def user_list() -> None:
    """列出用户 / list users with roles, utilities, and whether they are disabled or locked."""
    from utilcredit.access import service as access
    from utilcredit.bootstrap import open_store

    engine = open_store()
    with engine.connect() as connection:
        users = access.all_users(connection)
    table = Table(title="用户 / users")
    for column in ("用户名 user", "显示名 name", "角色 roles", "供应 utilities"):
        table.add_column(column, no_wrap=True)
    table.add_column("状态 state")
    for user in users:
        state = "active" if user.active else "disabled"
        if user.locked_until is not None:
            state += f", locked until {user.locked_until:%Y-%m-%d %H:%M} UTC"
        table.add_row(
            user.principal.username,
            user.principal.display_name,
            ", ".join(sorted(user.principal.roles)),
            ", ".join(sorted(user.principal.utilities)),
            state,
        )
    out.print(table)


UsernameArg = Annotated[str, typer.Argument(help="用户名 / user name")]


def _set_active(username: str, active: bool) -> None:
    from utilcredit.access import service as access
    from utilcredit.bootstrap import open_store

    try:
        with open_store().begin() as connection:
            access.set_user_active(connection, username, active, actor=_actor())
    except UtilcreditError as error:
        raise _fail(error) from None


@user_app.command("disable")
def user_disable(username: UsernameArg) -> None:
    """停用用户：不能再登录，会话与令牌立即失效 / disable a user: no more logins, its
    sessions and tokens stop working at once."""
    _set_active(username, False)
    out.print(f"已停用 / disabled {username}")


@user_app.command("enable")
def user_enable(username: UsernameArg) -> None:
    """启用已停用的用户 / enable a disabled user (it logs in again; old sessions stay ended)."""
    _set_active(username, True)
    out.print(f"已启用 / enabled {username}")


@user_app.command("reset-password")
def user_reset_password(
    username: UsernameArg,
    password: Annotated[
        str | None,
        typer.Option(help="新密码（不给则提示输入） / new password (prompted when absent)"),
    ] = None,
) -> None:
    """重设密码，并结束该用户的会话与令牌 / set a new password; the user's sessions and
    tokens end."""
    from utilcredit.access import service as access
    from utilcredit.bootstrap import open_store

    secret = _new_password(password)
    try:
        with open_store().begin() as connection:
            access.reset_password(connection, username, secret, actor=_actor())
    except UtilcreditError as error:
        raise _fail(error) from None
    out.print(f"已重设密码 / password reset for {username}")


@user_app.command("unlock")
def user_unlock(
    username: Annotated[
        str | None, typer.Argument(help="被锁定的用户名 / locked user name")
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(help="解除某客户端地址的锁定 / lift the lockout of a client address"),
    ] = None,
) -> None:
    """解除登录失败过多导致的锁定 / lift a lockout after too many failed logins."""
    from utilcredit.access import service as access
    from utilcredit.bootstrap import open_store

    targets = [(ThrottleScope.USER, username)] if username else []
    if address:
        targets.append((ThrottleScope.ADDRESS, address))
    if not targets:
        err.print(
            "[red]错误 / error:[/red] 请给出用户名或 --address / give a user name or --address"
        )
        raise typer.Exit(2)
    with open_store().begin() as connection:
        for scope, key in targets:
            lifted = access.unlock(connection, scope, key, actor=_actor())
            state = "已解除锁定 / unlocked" if lifted else "未被锁定 / was not locked"
            out.print(f"{state}: {key}")
