"""The REST API (FastAPI) and the use cases the API and the console share."""
