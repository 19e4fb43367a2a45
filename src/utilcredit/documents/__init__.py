"""Signed documents (letters and commitments) rendered as HTML and as A4 PDF in Chinese.

``model`` holds the pure data of each document and builds its template context; ``render``
turns a template and a context into HTML and HTML into PDF. The package imports no other
domain: callers (records, and soon commitments and notices) build the model themselves.
"""
