"""Rating cases as data, shared by the reference evaluator's unit tests and the SQL engines'
integration tests (see :mod:`tests.corpus.clauses`)."""
