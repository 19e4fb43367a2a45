"""Every query the import needs, one module per subject. Each takes a Connection and never
commits.

* :mod:`.upserts` — the tables of the kinds and the import's hot path: upserts compiled once
  per kind, run straight on the driver;
* :mod:`.lookups` — natural keys: parent ids, and what an importer's scope lets it name or
  touch;
* :mod:`.runs` — import runs and their rejects.
"""
