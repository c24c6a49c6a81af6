"""Hardening: admin lockout, export audit, site settings, alias-proof mailbox keys.

The mailbox key now ignores "+tags" and Gmail dots. Existing keys are recomputed; a row
whose new key another row already holds keeps its old key (both signatures stay, and the
migration reports how many), because a migration must never delete a supporter.

Revision ID: 0003_hardening
Revises: 0002_confirmation
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_hardening"
down_revision = "0002_confirmation"
branch_labels = None
depends_on = None

GMAIL_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox_key(email: str) -> str:
    """The rule as of this revision (a copy: migrations must not change with the app)."""
    local, _, domain = email.casefold().rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in GMAIL_DOMAINS:
        domain = GMAIL_DOMAINS[domain]
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


def legacy_key(email: str) -> str:
    """The rule before this revision."""
    return email.casefold()


def upgrade():
    op.create_table(
        "export_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("admin_email", sa.String(length=254), nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_filter", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_audit")),
    )
    op.create_index(op.f("ix_export_audit_exported_at"), "export_audit", ["exported_at"])
    op.create_table(
        "site_setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_site_setting")),
    )
    with op.batch_alter_table("admin_user") as batch:
        batch.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("admin_user") as batch:
        batch.alter_column("failed_logins", server_default=None, existing_type=sa.Integer())
    _rekey(mailbox_key)


def downgrade():
    _rekey(legacy_key)
    with op.batch_alter_table("admin_user") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
    op.drop_table("site_setting")
    op.drop_index(op.f("ix_export_audit_exported_at"), table_name="export_audit")
    op.drop_table("export_audit")


def _rekey(rule) -> None:
    """Recompute email_key with rule where it can change, leaving a row alone if its new key is taken."""
    connection = op.get_bind()
    signature = sa.table("signature", sa.column("id"), sa.column("email"), sa.column("email_key"))
    # Only addresses with a tag or at Gmail can get a different key.
    candidates = connection.execute(
        sa.select(signature.c.id, signature.c.email, signature.c.email_key).where(
            sa.or_(
                signature.c.email.like("%+%"),
                signature.c.email_key.like("%@gmail.com"),
                signature.c.email_key.like("%@googlemail.com"),
            )
        )
    ).all()
    kept_old = 0
    for row_id, email, old_key in candidates:
        new_key = rule(email)
        if new_key == old_key:
            continue
        holder = connection.execute(
            sa.select(signature.c.id).where(signature.c.email_key == new_key)
        ).first()
        if holder is not None:
            kept_old += 1
            continue
        connection.execute(
            sa.update(signature).where(signature.c.id == row_id).values(email_key=new_key)
        )
    if kept_old:
        print(
            f"0003_hardening: {kept_old} signatures share a mailbox with another; kept their old keys"
        )
