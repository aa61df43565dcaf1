"""Database engine, transactions and migrations: the one place persistence is wired."""

from maxwork_leads.db.engine import Database, make_engine

__all__ = ["Database", "make_engine"]
