"""Pure identifier rules.

python-stdnum computes both check characters; its ``validate`` functions are not used
directly because ``stdnum.cn.uscc`` insists the first eight characters are digits (legal
codes start with ``N`` for village collectives, ``Y`` for others, ``A`` for the military, and
the entity-type character can be a letter too) and ``stdnum.cn.ric`` rejects division codes
missing from its table (historic codes such as 440524 in GB 11643's own example).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from stdnum.cn import ric as _ric
from stdnum.cn import uscc as _uscc

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_CHARS = frozenset(USCC_ALPHABET)
_DIGITS = frozenset("0123456789")


class IdentifierError(ValueError):
    """An identifier failed validation; ``reason`` is a short machine code, the message human."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def normalize_code(raw: str) -> str:
    """Strip blanks and separators and upper-case: ``9144 0300 1922 0382 16`` → canonical."""
    return raw.replace(" ", "").replace("-", "").replace("\u3000", "").strip().upper()


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character (mod 31) for the first 17 characters."""
    return str(_uscc.calc_check_digit(first17))


def validate_uscc(raw: str, *, allow_list: Collection[str] = ()) -> str:
    """Return the canonical USCC or raise :class:`IdentifierError` saying why.

    ``allow_list`` holds early pilot codes that are legal but fail the check character.
    """
    code = normalize_code(raw)
    if len(code) != 18:
        raise IdentifierError(
            "length",
            f"统一社会信用代码应为18位，实际{len(code)}位 / must be 18 characters, got {len(code)}",
        )
    bad = sorted({c for c in code if c not in _USCC_CHARS})
    if bad:
        raise IdentifierError(
            "charset",
            f"统一社会信用代码含非法字符 {''.join(bad)}（不使用I、O、Z、S、V）"
            f" / invalid characters {''.join(bad)} (I, O, Z, S, V are not used)",
        )
    if not set(code[2:8]) <= _DIGITS:
        raise IdentifierError(
            "region",
            "第3-8位登记管理机关行政区划码应为数字 / characters 3-8 (division code) must be digits",
        )
    if code in allow_list:
        return code
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise IdentifierError(
            "check",
            f"统一社会信用代码校验位错误：应为{expected}，实际{code[17]} / check character should be {expected}, got {code[17]}",
        )
    return code


def ric_check_char(first17: str) -> str:
    """The GB 11643 check character (mod 11, ``X`` for 10) for the first 17 digits."""
    return str(_ric.calc_check_digit(first17 + "0"))


def validate_ric(raw: str, *, today: dt.date | None = None) -> str:
    """Return the canonical 18-digit resident ID number or raise :class:`IdentifierError`."""
    number = normalize_code(raw)
    if len(number) != 18:
        raise IdentifierError(
            "length",
            f"身份证号码应为18位，实际{len(number)}位 / must be 18 characters, got {len(number)}",
        )
    if not set(number[:17]) <= _DIGITS or number[17] not in "0123456789X":
        raise IdentifierError(
            "charset",
            "身份证号码前17位应为数字，末位为数字或X / 17 digits then a digit or X expected",
        )
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentifierError(
            "birth_date", f"出生日期{number[6:14]}无效 / invalid birth date {number[6:14]}"
        ) from None
    if born > (today or dt.date.today()):
        raise IdentifierError(
            "birth_date",
            f"出生日期{number[6:14]}晚于今天 / birth date {number[6:14]} is in the future",
        )
    expected = ric_check_char(number[:17])
    if number[17] != expected:
        raise IdentifierError(
            "check",
            f"身份证号码校验位错误：应为{expected}，实际{number[17]} / check character should be {expected}, got {number[17]}",
        )
    return number


def validate_subject_code(raw: str, kind: str, *, allow_list: Collection[str] = ()) -> str:
    """Validate a subject's code by its kind: ``legal`` → USCC, ``natural`` → resident ID."""
    if kind == "natural":
        return validate_ric(raw)
    return validate_uscc(raw, allow_list=allow_list)


@dataclass(frozen=True, slots=True)
class MaskingRule:
    """How personal identifiers are shown on public pages (PIPL art. 25).

    The default shows the division code and birth year and the last four characters:
    ``420101198101011111`` → ``4201011981****1111``.
    """

    keep_head: int = 10
    keep_tail: int = 4
    mask_char: str = "*"
    mask_width: int = 4


DEFAULT_MASKING = MaskingRule()


def mask_id_number(number: str, rule: MaskingRule = DEFAULT_MASKING) -> str:
    if len(number) <= rule.keep_head + rule.keep_tail:
        return rule.mask_char * rule.mask_width
    tail = number[len(number) - rule.keep_tail :] if rule.keep_tail else ""
    return number[: rule.keep_head] + rule.mask_char * rule.mask_width + tail


def mask_name(name: str, mask_char: str = "*") -> str:
    """Keep a person's surname only: 张三丰 → 张**; a two-character name keeps the first."""
    if len(name) <= 1:
        return mask_char
    return name[0] + mask_char * (len(name) - 1)


def mask_phone(phone: str, mask_char: str = "*") -> str:
    """Keep the first three and last four digits: 13812345678 → 138****5678."""
    if len(phone) <= 7:
        return mask_char * len(phone)
    return phone[:3] + mask_char * (len(phone) - 7) + phone[-4:]


# ---- how URLs, links and audit entries name a subject -----------------------------------
#
# Decision (README "Console and REST API"): a natural person's ID number is personal data, so
# it never goes into a URL or a link (URLs end up in browser histories and access logs) and is
# shown only to readers who may see it. Such a subject is named by an opaque reference made of
# its internal id, ``id-<n>`` (lower case): stored codes are upper-cased on import, so the
# reference can never be mistaken for a code. A legal subject's USCC is public registration
# data (business licences, the national enterprise credit publicity system) and stays its name.
# Every URL that takes a code also takes a reference; URLs holding the number keep working.

SUBJECT_REF_PREFIX = "id-"
_REF_DIGITS = 10
_REF_MAX = 2**31 - 1  # surrogate keys are 32-bit INTEGER columns on PostgreSQL


def subject_ref(subject_id: int, code: str, kind: str) -> str:
    """``id-<n>`` for a natural person, the USCC for a legal subject."""
    return f"{SUBJECT_REF_PREFIX}{subject_id}" if kind == "natural" else code


def parse_subject_ref(text: str) -> int | None:
    """The internal id named by ``id-<n>``, or ``None`` if ``text`` is not one (parse it before
    upper-casing a code: ``ID-5`` could be a code)."""
    value = text.strip()
    if not value.startswith(SUBJECT_REF_PREFIX):
        return None
    digits = value[len(SUBJECT_REF_PREFIX) :]
    if not digits.isascii() or not digits.isdigit() or len(digits) > _REF_DIGITS:
        return None
    number = int(digits)
    return number if 0 < number <= _REF_MAX else None


def display_code(code: str, kind: str, *, clear: bool, rule: MaskingRule = DEFAULT_MASKING) -> str:
    """A subject's code as a reader sees it: a natural person's number masked unless ``clear``."""
    return code if clear or kind != "natural" else mask_id_number(code, rule)
