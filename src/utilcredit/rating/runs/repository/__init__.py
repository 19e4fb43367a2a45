"""Every query of rating runs, one module per subject. Each takes a Connection and never
commits.

* :mod:`.run_headers` — run headers: begun, finished, the current run of a policy, recent runs;
* :mod:`.results` — the per-subject rows: bulk writes, carrying over, level moves, reads;
* :mod:`.levels` — level changes of a subject, transitions between runs, counts by area;
* :mod:`.listing` — lists of subjects with their saved levels (filtered, sorted, counted),
  a run's subjects and the subjects that moved between two runs;
* :mod:`.changes` — for dynamic re-rating: the data watermark and the subjects that may have
  moved since a run, by data or by time.
"""
