"""Links find their signature by its random nonce, no longer by its id (which a readable
token would disclose): an index on signature.token_nonce.

Revision ID: 0010_token_nonce_index
Revises: 0009_review_marks
Create Date: 2026-11-30
"""

from alembic import op

revision = "0010_token_nonce_index"
down_revision = "0009_review_marks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f("ix_signature_token_nonce"), "signature", ["token_nonce"])


def downgrade():
    op.drop_index(op.f("ix_signature_token_nonce"), table_name="signature")
