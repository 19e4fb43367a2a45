"""Synthetic but valid identifiers: USCCs (GB 32100), resident ID numbers (GB 11643).

Uniqueness is by construction, not by luck: the organisation-code body and the ID number's
birth date + sequence are bijective functions of the subject's index (an affine map modulo the
size of the code space, whose multiplier is coprime with the modulus). Random 9-character
bodies would collide: with a million subjects the birthday bound gives a few per cent.
"""

from __future__ import annotations

import datetime as dt

from utilcredit.identifiers.model import USCC_ALPHABET, ric_check_char, uscc_check_char

# GB 11714 organisation-code check: weights over the 8-character body, mod 11.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_DIGIT_SPACE = 10**8  # 8-digit bodies of pre-2015 organisation codes
_DIGIT_MUL = 7_654_321  # odd and not a multiple of 5: coprime with 10**8
_DIGIT_ADD = 31_415_926

_ALNUM_LEN = 6
_ALNUM_SPACE = 31**_ALNUM_LEN  # "MA" + 6 characters of the USCC alphabet (post-2015 codes)
_ALNUM_MUL = 48_271  # not a multiple of 31
_ALNUM_ADD = 123_456_789

# Natural persons born 1955-01-01 .. 1999-12-31, three-digit sequence number.
_BIRTH_FIRST = dt.date(1955, 1, 1).toordinal()
_BIRTH_DAYS = dt.date(1999, 12, 31).toordinal() - _BIRTH_FIRST + 1
_RIC_SPACE = _BIRTH_DAYS * 1000
_RIC_MUL = 1_000_003  # prime, larger than any factor of _RIC_SPACE's small primes
_RIC_ADD = 2_718_281


def _org_check_char(body: str) -> str:
    """GB 11714 check character; letters count as 10 + their position (A=10 … Z=35)."""
    total = 0
    for weight, ch in zip(_ORG_WEIGHTS, body, strict=True):
        value = int(ch) if ch.isdigit() else ord(ch) - 55
        total += weight * value
    check = 11 - total % 11
    if check == 10:
        return "X"
    return "0" if check == 11 else str(check)


def org_code(index: int, modern: bool) -> str:
    """The 9-character organisation-code part (USCC positions 9-17), unique per ``index``.

    ``modern`` codes (issued since the 2015 reform) are ``MA`` + six alphanumerics; older ones
    are eight digits. The two styles cannot collide (letter vs digit in the first place).
    """
    if modern:
        x = (index * _ALNUM_MUL + _ALNUM_ADD) % _ALNUM_SPACE
        chars = []
        for _ in range(_ALNUM_LEN):
            x, r = divmod(x, 31)
            chars.append(USCC_ALPHABET[r])
        body = "MA" + "".join(chars)
    else:
        body = f"{(index * _DIGIT_MUL + _DIGIT_ADD) % _DIGIT_SPACE:08d}"
    check = _org_check_char(body)
    # The USCC alphabet has no Z/I/O/S/V; a GB 11714 check of X stays X.
    return body + check


def make_uscc(authority: str, entity_type: str, division: str, index: int, modern: bool) -> str:
    """A valid 18-character USCC: authority, entity type, division, organisation code, check."""
    first17 = authority + entity_type + division + org_code(index, modern)
    return first17 + uscc_check_char(first17)


def make_ric(division: str, index: int) -> str:
    """A valid 18-digit resident ID number, unique per ``index`` (< about 16 million)."""
    x = (index * _RIC_MUL + _RIC_ADD) % _RIC_SPACE
    day, seq = divmod(x, 1000)
    born = dt.date.fromordinal(_BIRTH_FIRST + day)
    first17 = f"{division}{born:%Y%m%d}{seq:03d}"
    return first17 + ric_check_char(first17)
