"""The audit trail: who changed what, when and why (SPEC 2.1)."""
