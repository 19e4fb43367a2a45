"""Deterministic synthetic data of a realistic utility (canonical import files, SPEC 5.2)."""

from utilcredit.demo.generator import HEADERS, KINDS, generate
from utilcredit.demo.spec import DemoSpec

__all__ = ["HEADERS", "KINDS", "DemoSpec", "generate"]
