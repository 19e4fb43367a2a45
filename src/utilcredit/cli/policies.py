"""``utilcredit policy ...``: lint, list and render policies."""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from utilcredit.cli.common import fail, parse_date
from utilcredit.errors import FieldInvalidError, InvalidInputError, UtilcreditError

if TYPE_CHECKING:
    from utilcredit.policies.linter import Finding

policy_app = typer.Typer(
    help="评级政策 / rating policies: check, list, render", no_args_is_help=True
)


class DocumentFormat(StrEnum):
    """``policies.render.RenderFormat``'s values, named here so that ``policy --help`` need not
    import the renderer (Jinja, the policy model); a test holds the two equal."""

    MARKDOWN = "md"
    HTML = "html"


# The linter speaks English (its findings are data for tools too); the command adds what each
# kind of finding means in Chinese, so an officer reading the output needs no English.
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
FINDING_ZH = {
    "yaml": "YAML格式错误",
    "schema": "不符合政策文件结构",
    "unknown-kind": "未知的事件类型",
    "always-fires": "触发条款对所有客户都成立",
    "shadowed": "条款被更差等级的条款覆盖，永远不决定等级",
    "overlap": "两个等级的范围重叠，重叠处取较差等级",
    "redundant-branch": "条款中的某个备选条件被另一个包含",
    "gap": "要求不满足时没有触发条款必然生效，客户落入兜底等级",
    "unreachable": "该等级无法达到",
    "filter-kind": "按该事件类型不具备的属性筛选，这些事件永不计数",
    "asset-scale": "资产规模分类与行业不符",
    "file-name": "文件命名与政策键或版本不一致",
}


def finding_line(finding: Finding) -> str:
    """The linter's line (``file:line: severity code [clause]: detail``, the form editors and
    tools parse), then its severity and meaning in Chinese."""
    severity = SEVERITY_ZH[finding.severity.value]
    return f"{finding.format()}  〔{severity}：{FINDING_ZH.get(finding.code, finding.code)}〕"


@policy_app.command("check")
def check_command(
    files: Annotated[
        list[Path], typer.Argument(help="政策文件 / policy YAML files to lint", exists=True)
    ],
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="只显示错误 / show errors only")
    ] = False,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="有警告也以状态1退出 / exit with status 1 on warnings too"),
    ] = False,
) -> None:
    """检查政策文件 / lint policy files.

    Exit status 1 when a file has an error (or, with --strict, a warning); warnings and
    notes alone exit 0.
    """
    from utilcredit.policies.linter import Severity, check

    tally: Counter[str] = Counter()
    for path in files:
        findings = check(path)
        tally.update(f.severity.value for f in findings)
        for finding in findings:
            if not quiet or finding.severity == Severity.ERROR:
                typer.echo(finding_line(finding))
        if not findings:
            typer.echo(f"{path}: 通过 / ok")
    typer.echo(
        f"检查{len(files)}个文件：错误{tally['error']}，警告{tally['warning']}，"
        f"提示{tally['info']} / checked {len(files)} files: {tally['error']} errors, "
        f"{tally['warning']} warnings, {tally['info']} notes",
        err=True,
    )
    if tally["error"] or (strict and tally["warning"]):
        raise typer.Exit(code=1)


@policy_app.command("list")
def list_command() -> None:
    """已发布的政策 / shipped policies: key, version, effective date, utility, levels, hash."""
    from utilcredit.policies.loader import list_policies

    for item in list_policies():
        policy = item.policy
        levels = ",".join(level.value for level in policy.levels)
        typer.echo(
            f"{policy.key}\t{policy.version}\t{policy.effective_from.isoformat()}\t"
            f"{policy.utility.value}\t{levels}\t{item.sha256[:12]}\t{policy.title}"
        )


@policy_app.command("render")
def render_command(
    key: Annotated[
        str, typer.Argument(help="政策键或政策文件 / shipped policy key, or a policy file")
    ],
    fmt: Annotated[
        DocumentFormat, typer.Option("--format", "-f", help="格式 / md or html")
    ] = DocumentFormat.MARKDOWN,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="写入文件（自动创建目录） / write here (folders made)"),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="该日有效的版本（默认最新） / version in force on this date (default: latest)",
        ),
    ] = None,
) -> None:
    """生成公开的评价标准文件（中文） / render the public criteria document of a policy."""
    from utilcredit.policies.loader import PolicyError, load_policy_ref
    from utilcredit.policies.render import render

    try:
        day = None if at is None else parse_date(at)
        loaded = load_policy_ref(key, day)
        document = render(loaded.policy, fmt.value)
        if output is None:
            typer.echo(document, nl=False)
            return
        _write(output, document)
    except PolicyError as error:
        message = f"无法加载评级政策 / cannot load policy {key}: {error}"
        raise fail(InvalidInputError(message)) from None
    except UtilcreditError as error:
        raise fail(error) from None
    typer.echo(f"已写入 / wrote {output}")


def _write(path: Path, document: str) -> None:
    """Write ``document``, making missing folders; a path that cannot be written is an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document, encoding="utf-8")
    except OSError as error:
        raise FieldInvalidError(
            "output", f"无法写入 {path}：{error.strerror} / cannot write {path}: {error.strerror}"
        ) from None
