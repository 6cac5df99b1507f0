"""session-lint: find FastAPI handlers that hold a SQLAlchemy session open across slow awaits."""

__version__ = "0.1.0"
