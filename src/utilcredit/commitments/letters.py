"""What a reader is shown of a commitment, and the letter to print: natural persons' ID
numbers masked for readers without ``view_unmasked``; the blanks a template asks that the
credit file already answers."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal
from utilcredit.commitments.reads import visible_commitment
from utilcredit.commitments.repository import CommitmentLine
from utilcredit.commitments.templates import fill, letter_of, template
from utilcredit.customers import subjects
from utilcredit.documents.model import commitment_letter_context
from utilcredit.documents.render import render_html
from utilcredit.identifiers import MaskingRule, display_code, mask_id_number

#: A template blank holding a person's ID number ends with this (masked like a subject code).
ID_NUMBER_FIELD = "id_number"


def clear_for(principal: Principal | None) -> bool:
    """Whether the reader sees a natural person's ID number whole (the CLI, ``None``, does)."""
    return principal is None or principal.can(Permission.VIEW_UNMASKED)


def shown(line: CommitmentLine, principal: Principal | None, rule: MaskingRule) -> CommitmentLine:
    """The commitment as the reader may see it: the subject's code of a natural person and
    every ID-number blank masked (in the blanks and in the promises' text) unless the reader
    holds ``view_unmasked``."""
    if clear_for(principal):
        return line
    hidden: dict[str, str] = {}
    if line.subject_kind == "natural":
        hidden[line.subject_code] = display_code(
            line.subject_code, line.subject_kind, clear=False, rule=rule
        )
    for name, value in line.fields.items():
        if name.endswith(ID_NUMBER_FIELD) and value.strip():
            hidden[value] = mask_id_number(value.strip(), rule)
    if not hidden:
        return line

    def hide(text: str) -> str:
        for number, masked in hidden.items():
            text = text.replace(number, masked)
        return text

    return replace(
        line,
        subject_code=hide(line.subject_code),
        fields={name: hide(value) for name, value in line.fields.items()},
        content=hide(line.content),
        unfulfilled_content=hide(line.unfulfilled_content) if line.unfulfilled_content else None,
    )


def document_html(
    connection: Connection, principal: Principal | None, commitment_id: int, rule: MaskingRule
) -> tuple[CommitmentLine, str]:
    """The signed letter as stored, filled and laid out to print (masked as the reader sees it)."""
    found = shown(visible_commitment(connection, principal, commitment_id), principal, rule)
    filled = fill(template(found.template_key, found.template_version), found.fields)
    letter = letter_of(
        filled, code=found.code, made_on=found.made_on, accepting_unit=found.accepting_unit
    )
    return found, render_html("commitment.html", commitment_letter_context(letter))


def prefilled(
    connection: Connection, template_key: str, subject_code: str, *, address: str | None = None
) -> dict[str, str]:
    """The blanks of a template the credit file already answers (name, code, legal
    representative, address); the clerk fills the rest. Unknown subject: nothing."""
    detail = subjects.subject_card_of(connection, subject_code)
    if detail is None:
        return {}
    known = {
        "unit_name": detail.name,
        "heading_unit": detail.name,
        "uscc": detail.code,
        "subject_code": detail.code,
        "legal_rep": detail.legal_rep or "",
        "address": address or detail.address or "",
    }
    names = {f.name for f in template(template_key).fields}
    return {name: value for name, value in known.items() if name in names and value}
