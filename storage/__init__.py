"""SQLAlchemy models, Alembic migrations, sessions and repositories (query functions)."""
