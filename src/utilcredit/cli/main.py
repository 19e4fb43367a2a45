"""The ``utilcredit`` command line. Commands are thin: parse, call a use case, print.

One module per command group under :mod:`utilcredit.cli`; this one mounts them, in the order
``utilcredit --help`` lists them.
"""

from __future__ import annotations

import typer

from utilcredit.cli.applications import applications_app
from utilcredit.cli.calendar import calendar_app
from utilcredit.cli.checks import check_app, checks_app
from utilcredit.cli.commitments import commitments_app
from utilcredit.cli.db import db_app
from utilcredit.cli.demo import demo_command
from utilcredit.cli.entitlements import entitlements_command
from utilcredit.cli.exchange import batches_app, export_app
from utilcredit.cli.imports import import_command, purge_uploads_command
from utilcredit.cli.notices import notices_app
from utilcredit.cli.policies import policy_app
from utilcredit.cli.publish import publish_command
from utilcredit.cli.rating import explain_command, rate_command
from utilcredit.cli.records import objections_app, records_app, repairs_app
from utilcredit.cli.report import report_app
from utilcredit.cli.runs import runs_app, simulate_command
from utilcredit.cli.serve import serve_command
from utilcredit.cli.users import user_app
from utilcredit.cli.worker import worker_command

app = typer.Typer(
    name="utilcredit",
    help="供水/供电客户信用管理 / Utility customer credit management",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db_app, name="db")
app.add_typer(policy_app, name="policy", help="评级政策 / rating policies: check, list, render")
app.add_typer(runs_app, name="runs")
app.command("simulate")(simulate_command)
app.command("serve")(serve_command)
app.add_typer(
    user_app,
    name="user",
    help="用户 / users: add, list, disable, enable, reset-password, unlock",
)
app.add_typer(
    calendar_app,
    name="calendar",
    help="工作日日历 / working-day calendar: load, show, set, deadline",
)
app.add_typer(
    records_app,
    name="records",
    help="失信记录 / dishonesty records: derive, list, show, confirm, dismiss",
)
app.add_typer(objections_app, name="objections", help="异议 / objections: file, decide")
app.add_typer(
    repairs_app, name="repairs", help="信用修复 / credit repair: apply, accept, decide, close"
)
app.add_typer(
    commitments_app,
    name="commitments",
    help="信用承诺 / credit commitments: make, list, show, accept, fulfil, breach, withdraw, "
    "render, advance, meet",
)
app.add_typer(
    applications_app,
    name="applications",
    help="信用办理申请 / credit-based applications: submit, check, advance, list, show, zones",
)
app.add_typer(
    notices_app,
    name="notices",
    help="通知 / notices: plan, demands, list, show, resend, print-batch, dispatch",
)
app.add_typer(export_app, name="export")
app.add_typer(batches_app, name="batches")
app.add_typer(check_app, name="check")
app.add_typer(checks_app, name="checks")
app.add_typer(report_app, name="report")
app.command("publish")(publish_command)
app.command("worker")(worker_command)
app.command("entitlements")(entitlements_command)
app.command("import")(import_command)
app.command("purge-uploads")(purge_uploads_command)
app.command("rate")(rate_command)
app.command("explain")(explain_command)
app.command("demo")(demo_command)


def main() -> None:  # pragma: no cover - console entry point convenience
    app()
