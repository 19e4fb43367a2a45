"""Public disclosure (公示): what the public site may show, published into a table of its own
so that the site never reads an internal table."""
