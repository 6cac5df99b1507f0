"""Code the rules' examples run after, not shown in the documentation: imports, a session
dependency with its short-lived factory, and two mapped classes."""

HANDLERS = """\
import httpx
import requests
from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session
from app.db import get_db, fresh_db_session
from app.models import Tool, User

router = APIRouter()
client = httpx.AsyncClient()
HOOK_URL = "https://hooks.example.com/notify"
"""

MODELS = """\
from contextlib import contextmanager

from sqlalchemy import ForeignKey, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload, sessionmaker

SessionLocal = sessionmaker(bind=create_engine("postgresql://db/app"), expire_on_commit=False)


def get_db():
    db = SessionLocal()
    try:
        yield db
        db.commit()
    finally:
        db.close()


fresh_db_session = contextmanager(get_db)


class Base(DeclarativeBase):
    pass


class Gateway(Base):
    __tablename__ = "gateways"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str]


class Tool(Base):
    __tablename__ = "tools"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    gateway_id: Mapped[int] = mapped_column(ForeignKey("gateways.id"))
    gateway: Mapped["Gateway"] = relationship()
"""
