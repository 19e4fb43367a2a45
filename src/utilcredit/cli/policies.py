"""``utilcredit policy ...``: lint, list and render policies.

:mod:`utilcredit.cli.main` mounts this sub-app with ``app.add_typer(policy_app, name="policy")``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from utilcredit.policies.linter import Severity, check
from utilcredit.policies.loader import PolicyError, list_policies, load_policy_ref
from utilcredit.policies.render import RenderFormat, render

policy_app = typer.Typer(help="Rating policies: check, list and render them.", no_args_is_help=True)


@policy_app.command("check")
def check_command(
    files: Annotated[list[Path], typer.Argument(help="Policy YAML files to lint.", exists=True)],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Show errors only.")] = False,
) -> None:
    """Lint policy files; exit status 1 when any has an error."""
    errors = 0
    for path in files:
        findings = check(path)
        for finding in findings:
            if quiet and finding.severity != Severity.ERROR:
                continue
            typer.echo(finding.format())
        errors += sum(1 for f in findings if f.severity == Severity.ERROR)
        if not findings:
            typer.echo(f"{path}: ok")
    if errors:
        raise typer.Exit(code=1)


@policy_app.command("list")
def list_command() -> None:
    """Shipped policies: key, version, effective date, utility, levels, content hash."""
    for item in list_policies():
        policy = item.policy
        levels = ",".join(level.value for level in policy.levels)
        typer.echo(
            f"{policy.key}\t{policy.version}\t{policy.effective_from.isoformat()}\t"
            f"{policy.utility.value}\t{levels}\t{item.sha256[:12]}\t{policy.title}"
        )


@policy_app.command("render")
def render_command(
    key: Annotated[str, typer.Argument(help="Shipped policy key, or a path to a policy file.")],
    fmt: Annotated[RenderFormat, typer.Option("--format", "-f", help="md or html.")] = (
        RenderFormat.MARKDOWN
    ),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
    at: Annotated[
        dt.datetime | None,
        typer.Option(help="Version in force on this date (default: latest).", formats=["%Y-%m-%d"]),
    ] = None,
) -> None:
    """Render the public criteria document (Chinese) of a policy."""
    try:
        loaded = load_policy_ref(key, at.date() if at else None)
    except PolicyError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(code=2) from error
    document = render(loaded.policy, fmt)
    if output is None:
        typer.echo(document, nl=False)
    else:
        output.write_text(document, encoding="utf-8")
        typer.echo(f"wrote {output}")
