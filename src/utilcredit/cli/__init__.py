"""The ``utilcredit`` command line: one module per command group, mounted by :mod:`.main`.

Modules here are entry points: they parse, call a domain's use cases and print. No domain
imports them. Heavy or optional pieces (uvicorn, the API) are imported inside the commands
that need them, so ``utilcredit --help`` starts quickly.
"""
