"""The credit file as a reader sees it: search, the file, its pages and the live rating."""
