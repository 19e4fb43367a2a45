"""Manual level overrides: an operator requests, a reviewer approves (SPEC 2.2)."""
