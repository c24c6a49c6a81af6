"""The migrations build the schema from nothing, tear it down, and match the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from campaign_site import create_app
from campaign_site.extensions import db
from campaign_site.models import SignatureCountShard
from campaign_site.signing import COUNT_SHARDS

TABLES = {"signature", "signature_count_shard", "admin_user"}


def _tables(app):
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_migrations_go_up_down_and_up_again(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        try:
            upgrade()
            assert _tables(app) == TABLES
            shards = db.session.scalars(select(SignatureCountShard.shard)).all()
            assert sorted(shards) == list(range(COUNT_SHARDS))
            db.session.rollback()

            downgrade(revision="base")
            assert _tables(app) == set()

            upgrade()
            assert _tables(app) == TABLES
        finally:
            db.session.remove()
            db.engine.dispose()


def test_models_and_migrations_agree(migrated_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": migrated_database_url})
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []
