"""Identifier validation (GB 32100-2015 USCC, GB 11643-1999 resident ID) and masking."""

from utilcredit.identifiers.model import (
    DEFAULT_MASKING,
    SUBJECT_REF_PREFIX,
    IdentifierError,
    MaskingRule,
    display_code,
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_code,
    parse_subject_ref,
    subject_ref,
    validate_ric,
    validate_subject_code,
    validate_uscc,
)

__all__ = [
    "DEFAULT_MASKING",
    "SUBJECT_REF_PREFIX",
    "IdentifierError",
    "MaskingRule",
    "display_code",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "normalize_code",
    "parse_subject_ref",
    "subject_ref",
    "validate_ric",
    "validate_subject_code",
    "validate_uscc",
]
