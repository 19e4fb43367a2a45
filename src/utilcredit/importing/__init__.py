"""Canonical import of billing-system exports (SPEC 2.8, 5.2)."""
