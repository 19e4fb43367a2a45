"""``utilcredit serve``: the console and the REST API in one server, optionally with demo
logins (one user per role).

The store and the domain's services are imported inside the commands, so that
``utilcredit serve --help`` starts without them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from utilcredit.access.model import Role
from utilcredit.customers.model import Utility

out = Console()

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
    from utilcredit.access import service as access
    from utilcredit.bootstrap import open_store

    engine = open_store()
    with engine.begin() as connection:
        existing = {u.principal.username for u in access.all_users(connection)}
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

    from utilcredit.bootstrap import open_store
    from utilcredit.config import get_settings

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
    # proxy_headers=False: uvicorn would otherwise believe X-Forwarded-* from 127.0.0.1; the
    # app honours them only from UTILCREDIT_CONSOLE_TRUSTED_PROXIES (default: nobody).
    if workers > 1:
        uvicorn.run(
            "utilcredit.asgi:app",
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            proxy_headers=False,
        )
    else:
        from utilcredit.server import create_app

        uvicorn.run(
            create_app(settings), host=host, port=port, log_level="info", proxy_headers=False
        )
