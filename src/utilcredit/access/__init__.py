"""Users, roles, utility memberships, sessions, API tokens and CSRF (the console and the API)."""
