"""session-lint: find FastAPI handlers that hold a SQLAlchemy session open across slow awaits."""

__version__ = "0.1.0"

# The one place the repository's address is written in the code (SARIF's rule help links, the
# README's install commands; pyproject.toml's [project.urls] repeats it, a test keeps them equal).
REPOSITORY = "https://github.com/session-lint/session-lint"
