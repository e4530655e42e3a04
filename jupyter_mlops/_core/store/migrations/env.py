"""Alembic environment: runs on the connection the Store hands over (under its write lock)."""

from alembic import context

from jupyter_mlops._core.store.orm import Base

connection = context.config.attributes.get("connection")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
