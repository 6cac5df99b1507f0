"""The one table the handlers read: which backend serves a tool."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Tool(Base):
    __tablename__ = "tools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # A plain HTTP endpoint for /invoke tools, an MCP streamable-HTTP endpoint for /call tools.
    url: Mapped[str] = mapped_column(String(500))
