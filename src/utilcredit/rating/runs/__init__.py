"""Rating runs as records: stored runs, level history, transitions, re-rating and what-if."""
