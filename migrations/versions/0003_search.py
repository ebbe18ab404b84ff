"""full-text search of narratives and follow-ups

Revision ID: 0003_search
Revises: 0002_audit_chain
Create Date: 2026-11-28 14:00:00

SQLite: an FTS5 table kept by insert triggers, filled with what is already
there. PostgreSQL: GIN indexes over to_tsvector() of the same text.
"""
from alembic import op

from cpoms.search import index

revision = '0003_search'
down_revision = '0002_audit_chain'
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in index.create_statements(dialect) + index.fill_statements(dialect):
        op.execute(statement)


def downgrade():
    for statement in index.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
