"""API routers: parse the request, call a use case, shape the answer. Nothing else."""
