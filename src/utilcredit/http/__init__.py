"""The HTTP pieces the REST API (``api``) and the console (``web``) share: the request guard,
request-scoped dependencies (``Db``, the principal), the error mapping, and the common
parameters. Neither entry point imports the other; both import this."""
