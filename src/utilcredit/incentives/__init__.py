"""Incentives and measures per level or designation (守信激励 · 失信约束): what applies today and what was granted."""
