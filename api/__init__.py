"""The HTTP face of Détente: the Starlette app, settings, middleware and the CLI."""
