"""``utilcredit commitments render``: a commitment letter (信用承诺书) as PDF or HTML, either a
stored commitment's or the form to sign. :mod:`utilcredit.cli.commitments` mounts it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from utilcredit.cli.casework import FieldOption, field_values, step
from utilcredit.cli.common import fail
from utilcredit.commitments import letters as commitment_letters
from utilcredit.commitments import reads as commitment_reads
from utilcredit.commitments.templates import blank_form, fill, letter_of, template
from utilcredit.documents.model import commitment_letter_context
from utilcredit.documents.render import render_html, render_pdf
from utilcredit.errors import FieldInvalidError, InvalidInputError


def render_command(
    output_file: Annotated[
        Path, typer.Option("--output", "-o", help="输出文件 FILE.pdf 或 FILE.html / output file")
    ],
    ref: Annotated[
        str | None, typer.Argument(help="承诺编号或编码 / commitment id or code")
    ] = None,
    template_key: Annotated[
        str | None, typer.Option("--template", help="空白承诺书的模板 / template of a form")
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="预填的主体 / subject to prefill a form")
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="模板版本 / template version")
    ] = None,
    fields: FieldOption = None,
) -> None:
    """打印信用承诺书：已登记的（填入所存字段）或签署前的空白/预填表 / print a letter.

    With REF: the stored commitment's letter, filled with its stored values. With
    --template (and optionally --subject and --field): the form to sign, blanks the
    credit file answers filled in, the rest left as lines to fill in by hand.
    """
    suffix = output_file.suffix.lower()
    if suffix not in (".pdf", ".html"):
        raise fail(
            FieldInvalidError(
                "output",
                f"输出文件应为 .pdf 或 .html：{output_file} / --output must be .pdf or .html",
            )
        )
    if (ref is None) == (template_key is None):
        raise fail(
            InvalidInputError(
                "请给出承诺编号，或用 --template 打印空白承诺书（二选一） / "
                "give a commitment id or code, or --template for a blank form (one of them)"
            )
        )
    values = field_values(fields)
    with step() as connection:
        if ref is not None:
            found = commitment_reads.visible_commitment(
                connection, None, commitment_reads.commitment_by_ref(connection, None, ref)
            )
            filled = fill(template(found.template_key, found.template_version), found.fields)
            letter = letter_of(
                filled,
                code=found.code,
                made_on=found.made_on,
                accepting_unit=found.accepting_unit,
            )
        else:
            assert template_key is not None
            chosen = template(template_key, version)
            known = commitment_letters.prefilled(connection, chosen.key, subject) if subject else {}
            letter = letter_of(fill(blank_form(chosen), {**known, **values}))
    html = render_html("commitment.html", commitment_letter_context(letter))
    data = html.encode() if suffix == ".html" else render_pdf(html)
    try:
        output_file.write_bytes(data)
    except OSError as error:
        raise fail(
            FieldInvalidError("output", f"无法写入 {output_file} / cannot write: {error}")
        ) from None
    typer.echo(f"已写入 / written {output_file} ({len(data)} bytes)")
