"""Commands for the console and the API: ``serve`` and ``user add/list``.

Mounted by the main CLI (``utilcredit serve``, ``utilcredit user …``)::

    from utilcredit.web.cli import serve_command, user_app
    app.command("serve")(serve_command)
    app.add_typer(user_app, name="user")
"""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from utilcredit.access import service as access
from utilcredit.access.model import Role, parse_roles, parse_utilities
from utilcredit.bootstrap import open_store
from utilcredit.config import get_settings
from utilcredit.customers.model import Utility
from utilcredit.errors import UtilcreditError

user_app = typer.Typer(help="用户 / console and API users", no_args_is_help=True)
out = Console()
err = Console(stderr=True)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000

# Demo logins (only with --demo-logins): one user per role, all utilities, one password.
DEMO_PASSWORD = "utilcredit-demo"
DEMO_USERS: tuple[tuple[str, str, frozenset[Role], frozenset[Utility]], ...] = (
    ("admin", "管理员", frozenset({Role.ADMIN}), frozenset(Utility)),
    ("operator", "客服操作员", frozenset({Role.OPERATOR}), frozenset(Utility)),
    ("reviewer", "审核员", frozenset({Role.REVIEWER}), frozenset(Utility)),
    ("office", "信用办", frozenset({Role.CREDIT_OFFICE}), frozenset({Utility.WATER})),
    ("auditor", "审计员", frozenset({Role.AUDITOR}), frozenset(Utility)),
    ("water-op", "供水客服", frozenset({Role.OPERATOR}), frozenset({Utility.WATER})),
)


def ensure_demo_users() -> list[tuple[str, str]]:
    """Create the demo users that do not exist yet; return (user name, roles) of all of them."""
    engine = open_store()
    with engine.begin() as connection:
        existing = {p.username for p in access.list_users(connection)}
        for username, display, roles, utilities in DEMO_USERS:
            if username not in existing:
                access.create_user(
                    connection,
                    username=username,
                    display_name=display,
                    password=DEMO_PASSWORD,
                    roles=roles,
                    utilities=utilities,
                    actor="demo",
                )
    return [(u, ", ".join(sorted(r))) for u, _, r, _ in DEMO_USERS]


def serve_command(
    host: Annotated[str, typer.Option(help="监听地址 / address to listen on")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(min=1, max=65535, help="端口 / port")] = DEFAULT_PORT,
    demo_logins: Annotated[
        bool,
        typer.Option(
            "--demo-logins",
            help="创建并打印演示账号（勿用于生产） / create and print demo logins (never in production)",
        ),
    ] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="进程数 / worker processes")] = 1,
) -> None:
    """启动控制台和 API / start the console and the REST API (API under /api/, docs at /docs)."""
    import uvicorn

    settings = get_settings()
    open_store(settings)  # migrate before accepting requests
    if demo_logins:
        users = ensure_demo_users()
        table = Table(title=f"演示账号 / demo logins (password: {DEMO_PASSWORD})")
        table.add_column("用户名 user")
        table.add_column("角色 roles")
        for username, roles in users:
            table.add_row(username, roles)
        out.print(table)
    out.print(f"控制台 / console: http://{host}:{port}/    API: http://{host}:{port}/docs")
    if workers > 1:
        uvicorn.run(
            "utilcredit.web.asgi:app", host=host, port=port, workers=workers, log_level="warning"
        )
    else:
        from utilcredit.api.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


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
    try:
        roles = parse_roles(role)
        utilities = parse_utilities(utility)
    except ValueError as error:
        err.print(f"[red]错误 / error:[/red] {error}")
        raise typer.Exit(2) from None
    secret = password or getpass.getpass("密码 / password: ")
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
                actor=getpass.getuser(),
            )
    except UtilcreditError as error:
        err.print(f"[red]错误 / error:[/red] {error}")
        raise typer.Exit(error.exit_code) from None
    out.print(
        f"已添加 / added {username}: {', '.join(sorted(roles))} · {', '.join(sorted(utilities))}"
    )


@user_app.command("list")
def user_list() -> None:
    """列出用户 / list users with roles and utilities."""
    engine = open_store()
    with engine.connect() as connection:
        users = access.list_users(connection)
    table = Table(title="用户 / users")
    for column in ("用户名 user", "显示名 name", "角色 roles", "供应 utilities"):
        table.add_column(column)
    for user in users:
        table.add_row(
            user.username,
            user.display_name,
            ", ".join(sorted(user.roles)),
            ", ".join(sorted(user.utilities)),
        )
    out.print(table)
