"""The outbox's sender from the shell: ``utilcredit notices dispatch`` (what is due, once) and
``utilcredit worker`` (the service that plans the day's payment demands and sends continuously).

The channel adapters (httpx, smtplib) and the dispatcher are imported by these commands only:
every other command starts without them.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from utilcredit.bootstrap import open_store
from utilcredit.cli.output import Format, FormatOption, emit
from utilcredit.config import get_settings
from utilcredit.notices import planning

if TYPE_CHECKING:
    from utilcredit.notices.dispatch import DispatchReport


def _dispatch_line(report: DispatchReport) -> str:
    return (
        f"已发送 / sent {report.sent}, 重试 / retry {report.retried}, 失败 / failed "
        f"{report.failed}, 待人工 / dead {report.dead}, 顺延 / deferred {report.deferred}, "
        f"接管 / recovered {report.recovered}"
    )


def dispatch_command(
    output: FormatOption = Format.TEXT,
) -> None:
    """发送到期的通知一次 / send what is due now, once (the worker does this continuously)."""
    from utilcredit.notices.adapters import adapters_from
    from utilcredit.notices.dispatch import dispatch_once

    settings = get_settings().notices
    adapters = adapters_from(settings)
    try:
        report = dispatch_once(open_store(), adapters, settings)
    finally:
        for adapter in adapters.values():
            adapter.close()
    emit(output, _dispatch_line(report), {"dispatch": asdict(report)})


def worker_command(
    once: Annotated[
        bool, typer.Option("--once", help="只运行一轮后退出 / one round, then exit")
    ] = False,
) -> None:
    """通知发送服务 / the notice worker: plans the day's payment demands and sends the outbox
    until SIGTERM or Ctrl-C (finishing the batch in hand, so nothing is sent twice)."""
    from utilcredit.notices.adapters import adapters_from
    from utilcredit.notices.dispatch import dispatch_once

    settings = get_settings().notices
    stopping = threading.Event()

    def stop(signum: int, _frame: Any) -> None:
        typer.echo(f"收到信号 {signum}，完成当前批次后退出 / stopping after this batch", err=True)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    store = open_store()
    adapters = adapters_from(settings)
    typer.echo(
        f"通知服务已启动 / worker started: {', '.join(c.value for c in adapters) or '无渠道'}",
        err=True,
    )
    planned_on: dt.date | None = None
    try:
        while not stopping.is_set():
            today = planning.local_day(planning.utcnow())
            if planned_on != today:
                _plan_demands(store, today)
                _publish(store, today)
                planned_on = today
            report = dispatch_once(store, adapters, settings, stop=stopping.is_set)
            if report.claimed or report.recovered:
                typer.echo(_dispatch_line(report), err=True)
            if once:
                break
            stopping.wait(settings.worker_interval_seconds)
    finally:
        for adapter in adapters.values():
            adapter.close()
    typer.echo("通知服务已停止 / worker stopped", err=True)


def _plan_demands(store: Any, today: dt.date) -> None:
    for key in get_settings().console.default_policies.values():
        with store.begin() as connection:
            planning.plan_demands(connection, key, sending=planning.Sending.of(), today=today)


def _publish(store: Any, today: dt.date) -> None:
    """The public site's view, rebuilt once a day (docs/disclosure.md)."""
    from utilcredit.disclosure import service as disclosure

    with store.begin() as connection:
        disclosure.publish(connection, today, rule=disclosure.masking_of(get_settings()))
