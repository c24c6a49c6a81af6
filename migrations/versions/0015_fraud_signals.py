"""Fraud signals and invalidation: keyed hashes of each signature's network and email
domain, and the invalidated status with the status it came from (for revalidation).

Signatures from before this revision have no signals: their domain hashes are made by
`flask rotate-keys` (it opens the sealed addresses); networks were never kept.

Revision ID: 0015_fraud_signals
Revises: 0014_campaign_updates
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_fraud_signals"
down_revision = "0014_campaign_updates"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("signature") as batch:
        batch.add_column(sa.Column("network_hash", sa.LargeBinary(36)))
        batch.add_column(sa.Column("domain_hash", sa.LargeBinary(36)))
        batch.add_column(sa.Column("invalidated_from", sa.String(16)))
        batch.add_column(sa.Column("invalidated_at", sa.DateTime(timezone=True)))
        batch.create_index("ix_signature_signed_at", ["signed_at"])
        batch.create_index("ix_signature_network_hash", ["network_hash"])
        batch.create_index("ix_signature_domain_hash", ["domain_hash"])


def downgrade():
    signature = sa.table("signature", sa.column("status", sa.String))
    # The older code knows no invalidated status, and invalidated signatures are out of the
    # count and tallies: giving them back their earlier status here would leave those short.
    invalidated = op.get_bind().scalar(
        sa.select(sa.func.count()).select_from(signature).where(signature.c.status == "invalidated")
    )
    if invalidated:
        raise RuntimeError(
            f"{invalidated} signatures are invalidated as fraud. Revalidate them at /admin/fraud"
            " (which puts them back into the count) or erase them before downgrading below"
            " 0015_fraud_signals; this step changed nothing."
        )
    with op.batch_alter_table("signature") as batch:
        batch.drop_index("ix_signature_domain_hash")
        batch.drop_index("ix_signature_network_hash")
        batch.drop_index("ix_signature_signed_at")
        batch.drop_column("invalidated_at")
        batch.drop_column("invalidated_from")
        batch.drop_column("domain_hash")
        batch.drop_column("network_hash")
