"""The ``utilcredit`` command line. Commands are thin: parse, call a use case, print.

One module per command group under ``utilcredit.cli``; this one names them, in the order
``utilcredit --help`` lists them, and imports none: a group's module is imported when that
group is used (``cli/lazy.py``), so ``utilcredit --help`` starts in a fraction of a second.
Each entry's summary is the first paragraph of the command's own help.
"""

from __future__ import annotations

import typer

from utilcredit.cli.lazy import Lazy, LazyGroup

_CLI = "utilcredit.cli."

COMMANDS: dict[str, Lazy] = {
    # Single commands first, then the groups: the order Typer listed them in when mounted.
    "simulate": Lazy(
        _CLI + "runs:simulate_command",
        "模拟 / rate everyone under a draft policy next to production; stores nothing.",
    ),
    "serve": Lazy(
        _CLI + "serve:serve_command",
        "启动控制台和 API / start the console and the REST API (API under /api/, docs at /docs).",
    ),
    "publish": Lazy(
        _CLI + "publish:publish_command",
        "重建公示内容 / rebuild the published view (records in their publication period and\n"
        "commitments marked for disclosure, masked) as of a day (default today).",
    ),
    "worker": Lazy(
        _CLI + "worker:worker_command",
        "通知发送服务 / the notice worker: plans the day's payment demands and sends the outbox\n"
        "until SIGTERM or Ctrl-C (finishing the batch in hand, so nothing is sent twice).",
    ),
    "entitlements": Lazy(
        _CLI + "entitlements:entitlements_command",
        "今天适用于该主体的激励/约束措施及依据 / which measures apply today and why.",
    ),
    "import": Lazy(
        _CLI + "imports:import_command",
        "导入营收系统数据 / import canonical files (CSV, XLSX, JSONL); the file stem names the kind.",
    ),
    "purge-uploads": Lazy(
        _CLI + "imports:purge_uploads_command",
        "删除过期的上传文件 / delete uploaded files and their reject reports past retention.",
    ),
    "rate": Lazy(
        _CLI + "rating:rate_command",
        "评定信用等级 / rate every subject having an account of the policy's utility.",
    ),
    "explain": Lazy(
        _CLI + "rating:explain_command",
        "解释信用等级 / explain a subject's level: every clause, its value and evidence.",
    ),
    "demo": Lazy(
        _CLI + "demo:demo_command",
        "演示：生成模拟供水供电企业数据、导入并评级 / generate a synthetic utility, import and rate it.",
    ),
    "db": Lazy(_CLI + "db:db_app", "数据库 / database"),
    "policy": Lazy(_CLI + "policies:policy_app", "评级政策 / rating policies: check, list, render"),
    "runs": Lazy(
        _CLI + "runs:runs_app",
        "评级批次 / rating runs: save, list, show, history, transitions, rerate, simulate",
    ),
    "user": Lazy(
        _CLI + "users:user_app",
        "用户 / users: add, list, disable, enable, reset-password, unlock",
    ),
    "calendar": Lazy(
        _CLI + "calendar:calendar_app",
        "工作日日历 / working-day calendar: load, show, set, deadline",
    ),
    "records": Lazy(
        _CLI + "records:records_app",
        "失信记录 / dishonesty records: derive, list, show, confirm, dismiss",
    ),
    "objections": Lazy(_CLI + "records:objections_app", "异议 / objections: file, decide"),
    "repairs": Lazy(
        _CLI + "records:repairs_app", "信用修复 / credit repair: apply, accept, decide, close"
    ),
    "commitments": Lazy(
        _CLI + "commitments:commitments_app",
        "信用承诺 / credit commitments: make, list, show, accept, fulfil, breach, withdraw, "
        "render, advance, meet",
    ),
    "applications": Lazy(
        _CLI + "applications:applications_app",
        "信用办理申请 / credit-based applications: submit, check, advance, list, show, zones",
    ),
    "notices": Lazy(
        _CLI + "notices:notices_app",
        "通知 / notices: plan, demands, list, show, resend, cancel, call, letter, print-batch, "
        "batches, mark-batch, contact, opt-out, dispatch",
    ),
    "export": Lazy(
        _CLI + "exchange:export_app",
        "报送文件 / export catalog files for the public credit platform; validate a file",
    ),
    "batches": Lazy(
        _CLI + "exchange:batches_app",
        "报送批次 / submission batches: list, show, send, load-returns, correct, errors",
    ),
    "check": Lazy(
        _CLI + "checks:check_app",
        "信用核查 / credit check: check SUBJECT --purpose …; check use ID --used-for …",
    ),
    "checks": Lazy(_CLI + "checks:checks_app", "信用核查记录 / credit checks: list"),
    "report": Lazy(
        _CLI + "report:report_app", "监管报表 / supervision reports for the credit office: monthly"
    ),
}


class _Root(LazyGroup):
    lazy = COMMANDS


app = typer.Typer(
    name="utilcredit",
    cls=_Root,
    help="供水/供电客户信用管理 / Utility customer credit management",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    # Typer builds a group only for an app with a callback or members; the members are lazy.
    pass


def main() -> None:  # pragma: no cover - console entry point convenience
    app()
