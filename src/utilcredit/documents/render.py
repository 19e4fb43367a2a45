"""Render a document: a Jinja2 template to HTML, and HTML to an A4 PDF with WeasyPrint.

Templates live in ``documents/templates/`` (package data, found through the package loader so
they work from a wheel). Every document extends ``base.html``: the A4 page (20 mm margins, page
numbers), the fonts, a title with an optional English second line, the body, and the signature
block (the seal area, the signature line and the date line).

Fonts: the text is set in "Noto Serif CJK SC" (falling back to "Noto Sans CJK SC", then any
serif font), which Debian's ``fonts-noto-cjk`` package provides; ``./dev`` installs it. WeasyPrint
finds it through fontconfig and embeds a subset with a ToUnicode map, so the Chinese text of a PDF
can be searched and copied. Without the package the PDF is still written, but in whatever CJK
font fontconfig falls back to (or with missing glyphs when there is none).

WeasyPrint is imported inside :func:`render_pdf` only: importing it takes a noticeable part of a
second, and the CLI must start fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


@cache
def _environment() -> Environment:
    # Every template is HTML: escape everything. A missing context key is an error, never a
    # blank on a signed document.
    return Environment(
        loader=PackageLoader("utilcredit.documents", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_html(template_name: str, context: Mapping[str, Any]) -> str:
    """The HTML of ``template_name`` (in ``documents/templates/``) with ``context``.

    Values are escaped; a key the template needs and ``context`` lacks raises
    ``jinja2.UndefinedError``.
    """
    return _environment().get_template(template_name).render(context)


def render_pdf(html: str) -> bytes:
    """The PDF of ``html`` (a rendered document): A4 as its ``@page`` rule says.

    The PDF's title comes from the HTML's ``<title>`` and its language (``/Lang``, here zh-CN)
    from ``<html lang>``: ``base.html`` sets both. The document is rendered without a base URL:
    the templates reference no external resource, and escaped values cannot add one.
    """
    import weasyprint  # type: ignore[import-untyped]  # slow to import: only when rendering

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
