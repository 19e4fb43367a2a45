"""Identifier validation (GB 32100-2015 USCC, GB 11643-1999 resident ID) and masking."""

from utilcredit.identifiers.model import (
    IdentifierError,
    MaskingRule,
    mask_id_number,
    mask_name,
    normalize_code,
    validate_ric,
    validate_subject_code,
    validate_uscc,
)

__all__ = [
    "IdentifierError",
    "MaskingRule",
    "mask_id_number",
    "mask_name",
    "normalize_code",
    "validate_ric",
    "validate_subject_code",
    "validate_uscc",
]
