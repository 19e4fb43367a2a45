"""SQL compiled from the same policy: the batch path of the rating engine (DESIGN).

``compiler`` turns a policy into one query (with ``vocabulary``, what it reads of the store
first, ``plan``, the policy's leaf tests, and ``tri``, three-valued logic in SQL); ``decoder``
turns its rows into ratings; ``engines`` runs it (DuckDB, SQLite, PostgreSQL) or the reference
evaluator, all with the same output. ``incremental`` holds the queries that find
the subjects whose rating a change of as-of date may move (incremental re-rating).
"""
