"""Credit-based applications (信用办水 · 信易电): submission, eligibility as policy data, the counter workflow."""
