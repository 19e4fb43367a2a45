"""Credit commitment templates (信用承诺书模板): versioned data files, filled with a committer's values.

Pure: the only I/O is reading the packaged YAML files (through ``importlib.resources``, so they
work from a wheel), once per process.

File format
-----------
One file per template version: ``commitments/templates/<key>/<version>.yaml``; the key and
version inside must match the path. A new wording is a new version file; a version file is
never edited once letters have been signed on it (a signed letter names key and version).

``key``
    ``[a-z][a-z0-9-]*``, e.g. ``honest-power-zhanjiang``.
``version``
    ``YYYY.N`` (quoted, so YAML keeps it a string). Versions compare as numbers:
    ``2022.10`` is newer than ``2022.9``.
``title`` / ``title_en``
    The Chinese title as printed in the seed; an English line printed under it.
``seed_ref``
    The seed file and appendix the text is copied from (``null`` when not from a seed).
``effective_from``
    The seed's date (``YYYY-MM-DD``); ``note`` says how it was chosen when the seed has none.
``policies``
    The policy keys the template serves (``lianshui-water``, ``zhanjiang-power``, …).
``commitment_type``
    ``approval_substitute`` 审批替代型, ``certification`` 证明事项型, ``credit_repair`` 信用修复型,
    ``self_discipline`` 行业自律型 or ``voluntary`` 主动型.
``reason``
    The default 承诺事由 of a commitment made on the template.
``disclosure``
    ``public`` when the letter says it is made public, else ``on_request``.
``note``
    Optional free text: how the file departs from or reads the seed.
``fields``
    The blanks of the letter, in order: ``name`` (``[a-z][a-z0-9_]*``), ``label`` (Chinese, as
    in the seed, without the trailing colon), ``required`` (default true) and ``choices``
    (optional: the value must be one of them, e.g. ``[业主, 租户]``). Every template has a
    required ``unit_name`` field: the committer's name, printed on the seal line.
``field_table``
    True when the seed lays the fields out as label lines above the promises (printed as a
    table of label and value); false when its blanks are inside the sentences.
``heading``
    Optional line printed flush left above the opening (an addressee, or the seed's
    ``_____单位`` line).
``opening``
    The sentences before the promises (``我单位郑重承诺：``), in order.
``paragraphs``
    The promises, verbatim and in order, each with its own number (``一、`` …).
``liability``
    The seed's 违诺责任 sentence(s), verbatim. When a paragraph already holds them (the seeds)
    they are not printed again; otherwise (the repair commitment) they are printed in a
    section of their own after the promises.
``closing``
    Optional line after the promises and liability (``特此承诺。``).
``signature``
    The lines of the signature block, in the seed's order, each ``kind`` (``seal``, ``sign``,
    ``date``; each once), ``label`` (without the colon; ``""`` for none, as the seeds' bare
    date lines) and ``after`` (optional text printed after the line, e.g. ``（签字）``).
``obligations``
    Dated duties the letter creates (default none): ``key``, ``text`` (the sentence of a
    paragraph that creates it, verbatim), ``due`` (``years`` and/or ``months`` after the event
    named by ``after``, e.g. ``connected_on``), ``remind_days_before`` and ``on_breach`` (what
    follows a missed deadline, e.g. ``refer_for_disconnection``).

Texts (``heading``, ``opening``, ``paragraphs``, ``liability``, ``closing``) hold ``{name}``
placeholders where the seed has a blank; every placeholder names a field, and every field is
printed (in the table or through a placeholder). An optional field left out is printed as the
seed's blank line ``_____``, to be filled in by hand.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from utilcredit.commitments.model import CommitmentType, Disclosure
from utilcredit.documents.model import CommitmentLetter, SignatureLine
from utilcredit.errors import FieldInvalidError, NotFoundError
from utilcredit.rating.dates import add_months

_PACKAGE = "utilcredit.commitments"
_FOLDER = "templates"

#: What an optional field left out prints as: the seeds' blank line, filled in by hand.
BLANK_FIELD = "_____"

SignatureKind = Literal["seal", "sign", "date"]

#: The field every template has: the committer's name, printed on the seal line.
COMMITTER_FIELD = "unit_name"

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_NAME = r"^[a-z][a-z0-9_]*$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _placeholders(text: str) -> list[str]:
    """The field names ``text`` refers to; a brace outside a ``{name}`` is an error."""
    rest = _PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        raise ValueError(f"stray brace in {text!r}: placeholders are {{field_name}}")
    return _PLACEHOLDER.findall(text)


class TemplateField(_Frozen):
    """A blank of the letter: 申请用水单位名称, 统一社会信用代码, 业主/租户 …"""

    name: str = Field(pattern=_NAME)
    label: str = Field(min_length=1)
    required: bool = True
    choices: tuple[str, ...] | None = Field(default=None, min_length=2)


class DueSpec(_Frozen):
    """A period after an event: ``{years: 1, after: connected_on}``."""

    years: int = Field(default=0, ge=0)
    months: int = Field(default=0, ge=0)
    after: str = Field(pattern=_NAME)

    @model_validator(mode="after")
    def _not_empty(self) -> DueSpec:
        if self.years == 0 and self.months == 0:
            raise ValueError("a due period needs years or months")
        return self


class ObligationSpec(_Frozen):
    """A dated duty a letter creates (湛江: 接火送电后一年内补齐物业权属证明)."""

    key: str = Field(pattern=_NAME, max_length=32)
    text: str = Field(min_length=1, max_length=1000)
    due: DueSpec
    remind_days_before: int = Field(default=0, ge=0)
    on_breach: str | None = Field(default=None, pattern=_NAME, max_length=32)

    def due_on(self, start: dt.date) -> dt.date:
        """The deadline when the period starts on ``start`` (e.g. the day power was connected).

        Whole calendar months and years, clamped to the month's end: 2028-02-29 + 1 year =
        2029-02-28, 2026-01-31 + 1 month = 2026-02-28.
        """
        return add_months(start, 12 * self.due.years + self.due.months)

    def remind_on(self, start: dt.date) -> dt.date:
        """The day to remind the committer: ``remind_days_before`` days before the deadline."""
        return self.due_on(start) - dt.timedelta(days=self.remind_days_before)


class SignatureLineSpec(_Frozen):
    kind: SignatureKind
    label: str = ""
    after: str = ""


class CommitmentTemplate(_Frozen):
    """One version of a commitment letter; the module docstring describes the file format."""

    key: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    version: str = Field(pattern=r"^\d{4}\.\d+$")
    title: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    seed_ref: str | None
    effective_from: dt.date
    policies: tuple[str, ...] = Field(min_length=1)
    commitment_type: CommitmentType
    reason: str = Field(min_length=1)
    disclosure: Disclosure
    note: str | None = None
    fields: tuple[TemplateField, ...] = Field(min_length=1)
    field_table: bool
    heading: str | None = None
    opening: tuple[str, ...] = ()
    paragraphs: tuple[str, ...] = Field(min_length=1)
    liability: str = Field(min_length=1)
    closing: str | None = None
    signature: tuple[SignatureLineSpec, ...]
    obligations: tuple[ObligationSpec, ...] = ()

    @property
    def version_key(self) -> tuple[int, int]:
        """The version as numbers, for ordering (``2022.10`` after ``2022.9``)."""
        year, number = self.version.split(".")
        return int(year), int(number)

    @property
    def texts(self) -> tuple[str, ...]:
        """Every text that may hold placeholders, in the order the letter prints them."""
        head = (self.heading,) if self.heading is not None else ()
        tail = (self.closing,) if self.closing is not None else ()
        return (*head, *self.opening, *self.paragraphs, self.liability, *tail)

    @property
    def liability_in_paragraphs(self) -> bool:
        """Whether a promise already holds the liability (then it is not printed twice)."""
        return any(self.liability in paragraph for paragraph in self.paragraphs)

    def field(self, name: str) -> TemplateField:
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(name)

    @model_validator(mode="after")
    def _consistent(self) -> CommitmentTemplate:
        names = [item.name for item in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"field names repeat: {names}")
        committer = next((f for f in self.fields if f.name == COMMITTER_FIELD), None)
        if committer is None or not committer.required:
            raise ValueError(f"every template needs a required field {COMMITTER_FIELD!r}")
        used = {name for text in self.texts for name in _placeholders(text)}
        if unknown := sorted(used - set(names)):
            raise ValueError(f"placeholders name no field: {unknown}")
        if not self.field_table and (unprinted := [n for n in names if n not in used]):
            raise ValueError(f"fields printed nowhere (no table, no placeholder): {unprinted}")
        kinds = [line.kind for line in self.signature]
        if sorted(kinds) != sorted(("seal", "sign", "date")):
            raise ValueError(f"the signature needs one seal, one sign and one date line: {kinds}")
        keys = [item.key for item in self.obligations]
        if len(set(keys)) != len(keys):
            raise ValueError(f"obligation keys repeat: {keys}")
        for obligation in self.obligations:
            if not any(obligation.text in paragraph for paragraph in self.paragraphs):
                raise ValueError(f"obligation {obligation.key!r}: its text is in no paragraph")
        return self


class TemplateFileError(Exception):
    """A packaged template file is not valid (a defect of the release, not of user input)."""


def parse_template(data: bytes, source: str) -> CommitmentTemplate:
    """Validate the YAML bytes of one template file; raises :class:`TemplateFileError`."""
    try:
        raw = yaml.safe_load(data)
    except yaml.YAMLError as error:
        raise TemplateFileError(f"{source}: not valid YAML: {error}") from error
    try:
        return CommitmentTemplate.model_validate(raw)
    except ValidationError as error:
        raise TemplateFileError(f"{source}: not a valid commitment template: {error}") from error


@cache
def all_templates() -> tuple[CommitmentTemplate, ...]:
    """Every packaged template version, by key then version (read once per process)."""
    root = resources.files(_PACKAGE).joinpath(_FOLDER)
    found: list[CommitmentTemplate] = []
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if not (entry.is_file() and entry.name.endswith((".yaml", ".yml"))):
                continue
            source = f"package:{folder.name}/{entry.name}"
            item = parse_template(entry.read_bytes(), source)
            if f"{item.key}/{item.version}" != f"{folder.name}/{entry.name.rsplit('.', 1)[0]}":
                raise TemplateFileError(
                    f"{source}: key/version inside the file say {item.key}/{item.version}"
                )
            found.append(item)
    return tuple(sorted(found, key=lambda t: (t.key, t.version_key)))


def template(key: str, version: str | None = None) -> CommitmentTemplate:
    """The template ``key`` at ``version`` (the newest version when ``None``).

    Raises :class:`~utilcredit.errors.NotFoundError` for an unknown key or version.
    """
    versions = [item for item in all_templates() if item.key == key]
    if version is not None:
        versions = [item for item in versions if item.version == version]
    if not versions:
        shown = key if version is None else f"{key} {version}"
        raise NotFoundError(f"没有该承诺书模板：{shown} / no commitment template {shown}")
    return max(versions, key=lambda item: item.version_key)


def templates_for_policy(policy_key: str) -> tuple[CommitmentTemplate, ...]:
    """The newest version of every template serving ``policy_key``, by key (none: empty)."""
    newest: dict[str, CommitmentTemplate] = {}
    for item in all_templates():
        if policy_key in item.policies:
            current = newest.get(item.key)
            if current is None or item.version_key > current.version_key:
                newest[item.key] = item
    return tuple(newest[key] for key in sorted(newest))


@dataclass(frozen=True, slots=True)
class FilledField:
    name: str
    label: str
    value: str  # BLANK_FIELD for an optional field left out


@dataclass(frozen=True, slots=True)
class FilledCommitment:
    """A template with a committer's values put in: the text of one letter, ready to print."""

    template: CommitmentTemplate
    fields: tuple[FilledField, ...]  # every field of the template, in its order
    heading: str | None
    opening: tuple[str, ...]
    paragraphs: tuple[str, ...]
    liability: str
    closing: str | None

    @property
    def key(self) -> str:
        return self.template.key

    @property
    def version(self) -> str:
        return self.template.version

    @property
    def title(self) -> str:
        return self.template.title

    @property
    def committer_name(self) -> str:
        return self.value(COMMITTER_FIELD)

    @property
    def content(self) -> str:
        """The promises as one text (the catalog's 承诺内容): opening and paragraphs, a line each."""
        return "\n".join((*self.opening, *self.paragraphs))

    def value(self, name: str) -> str:
        for item in self.fields:
            if item.name == name:
                return item.value
        raise KeyError(name)


def fill(template: CommitmentTemplate, values: Mapping[str, str]) -> FilledCommitment:
    """The letter of ``template`` with ``values`` (field name → value) put in its blanks.

    Values are stripped; a required field that is absent or blank, a name the template does
    not have and a value outside a field's choices are all reported in one
    :class:`~utilcredit.errors.InvalidInputError`. An optional field left out prints as
    :data:`BLANK_FIELD`.
    """
    given = {name: value.strip() for name, value in values.items()}
    known = {item.name for item in template.fields}
    missing = [item for item in template.fields if item.required and not given.get(item.name)]
    unknown = sorted(name for name in given if name not in known)
    invalid = [
        item
        for item in template.fields
        if item.choices is not None
        and given.get(item.name)
        and given[item.name] not in item.choices
    ]
    if missing or unknown or invalid:
        zh: list[str] = []
        en: list[str] = []
        if missing:
            zh.append("缺少承诺书字段：" + "、".join(f"{f.label}（{f.name}）" for f in missing))
            en.append("missing commitment fields: " + ", ".join(f.name for f in missing))
        if unknown:
            zh.append("未知的承诺书字段：" + "、".join(unknown))
            en.append("unknown commitment fields: " + ", ".join(unknown))
        if invalid:
            zh.append(
                "承诺书字段取值无效："
                + "、".join(
                    f"{f.label}（{f.name}）须为{'/'.join(f.choices or ())}" for f in invalid
                )
            )
            en.append(
                "invalid commitment field values: "
                + ", ".join(f"{f.name} must be one of {'/'.join(f.choices or ())}" for f in invalid)
            )
        # Named after the first field at fault, so a form shows the message beside it.
        at_fault = [f.name for f in (*missing, *invalid)] + list(unknown)
        field = at_fault[0] if at_fault else "values"
        raise FieldInvalidError(field, "；".join(zh) + " / " + "; ".join(en))
    filled = {item.name: given.get(item.name) or BLANK_FIELD for item in template.fields}

    def put(text: str) -> str:
        return _PLACEHOLDER.sub(lambda match: filled[match.group(1)], text)

    return FilledCommitment(
        template=template,
        fields=tuple(FilledField(f.name, f.label, filled[f.name]) for f in template.fields),
        heading=put(template.heading) if template.heading is not None else None,
        opening=tuple(put(text) for text in template.opening),
        paragraphs=tuple(put(text) for text in template.paragraphs),
        liability=put(template.liability),
        closing=put(template.closing) if template.closing is not None else None,
    )


def blank_form(chosen: CommitmentTemplate) -> CommitmentTemplate:
    """The template as a form printed before signing: a blank stays a line to fill in by hand
    (no field required, no choice enforced)."""
    fields = tuple(f.model_copy(update={"required": False, "choices": None}) for f in chosen.fields)
    return chosen.model_copy(update={"fields": fields})


def letter_of(
    filled: FilledCommitment,
    *,
    code: str | None = None,
    made_on: dt.date | None = None,
    accepting_unit: str | None = None,
) -> CommitmentLetter:
    """The printable letter (``documents/templates/commitment.html``) of a filled commitment.

    The field table is printed only when the template lays its fields out as one; the
    liability gets a section of its own only when no promise already holds it.
    """
    t = filled.template
    return CommitmentLetter(
        title=t.title,
        title_en=t.title_en,
        heading=filled.heading,
        fields=tuple((f.label, f.value) for f in filled.fields) if t.field_table else (),
        opening=filled.opening,
        paragraphs=filled.paragraphs,
        liability=None if t.liability_in_paragraphs else filled.liability,
        closing=filled.closing,
        signature=tuple(SignatureLine(s.kind, s.label, s.after) for s in t.signature),
        committer_name=filled.committer_name,
        code=code,
        made_on=made_on,
        accepting_unit=accepting_unit,
    )
