from __future__ import annotations

import datetime as dt

import pytest

from utilcredit.identifiers import (
    IdentifierError,
    MaskingRule,
    mask_id_number,
    mask_name,
    mask_phone,
    validate_ric,
    validate_subject_code,
    validate_uscc,
)
from utilcredit.identifiers.model import ric_check_char, uscc_check_char

KNOWN_USCC = [
    "914403001922038216",
    "91110108551385082Q",
    "91110000802100433B",
    "91110000710925462X",
]
KNOWN_RIC = ["11010519491231002X", "440524188001010014"]


def _with_wrong_last(code: str, alphabet: str) -> str:
    wrong = next(c for c in alphabet if c != code[-1])
    return code[:-1] + wrong


@pytest.mark.parametrize("code", KNOWN_USCC)
def test_published_uscc_examples_are_valid(code: str) -> None:
    assert validate_uscc(code) == code


@pytest.mark.parametrize("code", KNOWN_USCC)
def test_uscc_with_wrong_check_character_names_the_expected_one(code: str) -> None:
    bad = _with_wrong_last(code, "0123456789ABCDEFGHJKLMNPQRTUWXY")
    with pytest.raises(IdentifierError) as raised:
        validate_uscc(bad)
    assert raised.value.reason == "check"
    assert f"应为{code[-1]}" in str(raised.value)


def test_lowercase_uscc_is_normalised_to_upper_case() -> None:
    assert validate_uscc("91110108551385082q") == "91110108551385082Q"


def test_blanks_and_dashes_inside_a_code_are_ignored() -> None:
    assert validate_uscc(" 9144 0300-1922 0382 16 ") == "914403001922038216"


@pytest.mark.parametrize("prefix", ["N2", "Y1", "A1", "91", "12", "51", "9A"])
def test_letter_prefixed_codes_are_accepted_when_their_check_holds(prefix: str) -> None:
    first17 = prefix + "320826" + "MA1P4X7Y0"
    code = first17 + uscc_check_char(first17)
    assert validate_uscc(code) == code


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("91440300192203821", "length"),
        ("9144030019220382160", "length"),
        ("91440300192203821I", "charset"),  # I is never used
        ("9144030019220382O6", "charset"),
        ("91A40300192203821P", "region"),  # division code must be digits
    ],
)
def test_malformed_uscc_is_rejected_with_its_reason(raw: str, reason: str) -> None:
    with pytest.raises(IdentifierError) as raised:
        validate_uscc(raw)
    assert raised.value.reason == reason


def test_allow_listed_pilot_code_passes_despite_its_check_character() -> None:
    pilot = _with_wrong_last(KNOWN_USCC[0], "0123456789")
    with pytest.raises(IdentifierError):
        validate_uscc(pilot)
    assert validate_uscc(pilot, allow_list={pilot}) == pilot


def test_allow_list_does_not_excuse_a_malformed_code() -> None:
    with pytest.raises(IdentifierError):
        validate_uscc("91440300I92203821", allow_list={"91440300I92203821"})


@pytest.mark.parametrize("number", KNOWN_RIC)
def test_gb11643_examples_are_valid_including_historic_division_codes(number: str) -> None:
    assert validate_ric(number) == number


def test_lowercase_x_check_character_is_accepted() -> None:
    assert validate_ric("11010519491231002x") == "11010519491231002X"


def test_ric_with_wrong_check_character_is_rejected() -> None:
    with pytest.raises(IdentifierError) as raised:
        validate_ric("110105194912310021")
    assert raised.value.reason == "check"


@pytest.mark.parametrize("birth", ["19490230", "19491301"])
def test_ric_with_impossible_birth_date_is_rejected(birth: str) -> None:
    first17 = "110105" + birth + "002"
    with pytest.raises(IdentifierError) as raised:
        validate_ric(first17 + ric_check_char(first17))
    assert raised.value.reason == "birth_date"


def test_ric_born_in_the_future_is_rejected() -> None:
    first17 = "110105" + "20300101" + "002"
    with pytest.raises(IdentifierError) as raised:
        validate_ric(first17 + ric_check_char(first17), today=dt.date(2026, 11, 22))
    assert raised.value.reason == "birth_date"


def test_ric_check_character_ten_is_x() -> None:
    assert ric_check_char("11010519491231002") == "X"


def test_subject_code_is_validated_by_kind() -> None:
    assert validate_subject_code(KNOWN_RIC[0], "natural") == KNOWN_RIC[0]
    with pytest.raises(IdentifierError):
        validate_subject_code(KNOWN_RIC[0], "legal")


def test_default_mask_shows_division_birth_year_and_last_four() -> None:
    assert mask_id_number("420101198101011111") == "4201011981****1111"


def test_mask_is_configurable() -> None:
    rule = MaskingRule(keep_head=6, keep_tail=2, mask_char="#", mask_width=6)
    assert mask_id_number("420101198101011111", rule) == "420101######11"


def test_short_numbers_are_masked_entirely() -> None:
    assert mask_id_number("12345") == "****"


def test_person_names_keep_the_surname() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "*"


def test_phone_numbers_keep_their_first_three_and_last_four_digits() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("02584561234") == "025****1234"
    assert mask_phone("1234567") == "*******"
