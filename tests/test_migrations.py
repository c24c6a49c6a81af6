"""The migrations build the schema from nothing, tear it down, and match the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from campaign_site import create_app
from campaign_site.extensions import db
from campaign_site.models import SignatureCountShard
from campaign_site.petition.counting import COUNT_SHARDS

TABLES = {
    "signature",
    "signature_count_shard",
    "admin_user",
    "outbox_message",
    "daily_tally",
    "export_audit",
    "site_setting",
    "signature_tally",
    "event",
    "paper_count",
    "admin_audit",
    "export_request",
    "campaign_update",
    "campaign_update_text",
    "mail_pace",
    "content_version",
    "partner_origin",
    "organisation",
    "petition_response",
    "milestone_reached",
}


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


def test_upgrading_a_first_version_database_keeps_signatures_as_confirmed(empty_database_url):
    """Signatures from before double opt-in counted already: they stay counted and usable."""
    from sqlalchemy import text

    from campaign_site.models import Signature, SignatureStatus
    from campaign_site.petition import link_tokens

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        try:
            upgrade(revision="0001_initial")
            for n in range(3):
                db.session.execute(
                    text(
                        "INSERT INTO signature (name, email, email_key, country, keep_informed, show_name, signed_at)"
                        " VALUES (:name, :email, :email, 'DE', :t, :t, :signed_at)"
                    ),
                    {
                        "name": f"Old {n}",
                        "email": f"old{n}@example.org",
                        "t": True,
                        "signed_at": f"2026-01-0{n + 1}T10:00:00+00:00",
                    },
                )
            db.session.execute(text("UPDATE signature_count_shard SET count = 3 WHERE shard = 0"))
            db.session.commit()
            upgrade(revision="0002_confirmation")  # and two anonymised ones, kept as counts
            db.session.execute(
                text(
                    "INSERT INTO daily_tally (day, country, signatures) VALUES ('2025-12-31', 'UA', 2)"
                )
            )
            db.session.commit()

            upgrade()

            rows = db.session.scalars(select(Signature).order_by(Signature.id)).all()
            assert [r.status for r in rows] == [SignatureStatus.CONFIRMED] * 3
            assert all(r.confirmed_at == r.signed_at for r in rows)
            assert not any(r.mailbox_proven for r in rows)  # counted without opening a link
            assert len({r.token_nonce for r in rows}) == 3
            assert all(len(r.token_nonce) == 32 for r in rows)
            withdraw_link = f"/withdraw/{link_tokens.make_token(rows[0], link_tokens.WITHDRAW)}"
            # The tally starts with what was held (migration 0011), per hour and country.
            from campaign_site.models import SignatureTally

            tally = db.session.execute(
                select(
                    SignatureTally.hour,
                    SignatureTally.country,
                    SignatureTally.signed,
                    SignatureTally.confirmed,
                ).order_by(SignatureTally.hour)
            ).all()
            assert [(h.isoformat(), c, s, k) for h, c, s, k in tally] == [
                ("2025-12-31T00:00:00+00:00", "UA", 2, 2),
                *[(f"2026-01-0{n}T10:00:00+00:00", "DE", 1, 1) for n in (1, 2, 3)],
            ]
            db.session.commit()
        finally:
            db.session.remove()
    client = app.test_client()
    assert client.get("/api/count").get_json()["count"] == 3
    assert client.get(withdraw_link).status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_sqlite_runs_in_wal_mode_with_full_sync_and_secure_delete(app):
    """WAL for readers beside the writer; FULL so an acknowledged signature survives a power
    cut; secure_delete so erased supporters' data does not linger in free pages."""
    from sqlalchemy import text

    from campaign_site.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return  # PostgreSQL: durability is the server's fsync setting
        pragmas = {
            name: db.session.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "synchronous", "secure_delete", "foreign_keys")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,
        "secure_delete": 1,
        "foreign_keys": 1,
    }


def test_signatures_confirmed_by_their_link_before_0014_count_as_mailbox_proven(
    empty_database_url,
):
    """Confirmed later than signed: the link was opened. Confirmed the instant it was signed
    (CONFIRMATION_REQUIRED off) or still pending: no proof, so no campaign updates."""
    from sqlalchemy import text

    from campaign_site.models import Signature

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        try:
            upgrade(revision="0013_admin_second_factor")
            rows = [
                ("linked", "confirmed", "2026-02-01T10:00:00+00:00", "2026-02-01T10:05:00+00:00"),
                ("counted", "confirmed", "2026-02-01T11:00:00+00:00", "2026-02-01T11:00:00+00:00"),
                ("pending", "pending", "2026-02-01T12:00:00+00:00", None),
            ]
            for n, (nonce, status, signed_at, confirmed_at) in enumerate(rows):
                db.session.execute(
                    text(
                        "INSERT INTO signature (personal, email_hash, country, language,"
                        " keep_informed, show_name, signed_at, status, confirmed_at, token_nonce,"
                        " review_marks) VALUES (:personal, :hash, 'DE', 'en', :t, :f, :signed_at,"
                        " :status, :confirmed_at, :nonce, '')"
                    ),
                    {
                        "personal": b"sealed",
                        "hash": bytes([n]) * 36,
                        "t": True,
                        "f": False,
                        "signed_at": signed_at,
                        "status": status,
                        "confirmed_at": confirmed_at,
                        "nonce": nonce.ljust(32, "0"),
                    },
                )
            db.session.commit()
            upgrade()
            proven = db.session.execute(
                select(Signature.token_nonce, Signature.mailbox_proven).order_by(Signature.id)
            ).all()
            assert [(nonce[:7].rstrip("0"), flag) for nonce, flag in proven] == [
                ("linked", True),
                ("counted", False),
                ("pending", False),
            ]
        finally:
            db.session.remove()
            db.engine.dispose()


def test_a_downgrade_below_fraud_signals_refuses_while_signatures_are_invalidated(
    empty_database_url,
):
    """The older code knows no invalidated status, and those signatures are out of the
    count: the downgrade says what to do first and changes nothing."""
    from support import confirm_pending, sign

    from campaign_site.models import Signature
    from campaign_site.petition import invalidation

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        try:
            upgrade()
            client = app.test_client()
            assert sign(client, email="bot@example.org").status_code in (200, 303)
            confirm_pending(app, client)
            [signature_id] = db.session.scalars(select(Signature.id)).all()
            assert invalidation.invalidate_ids([signature_id]) == 1
            downgrade(revision="0015_fraud_signals")

            with pytest.raises((RuntimeError, SystemExit)):
                downgrade(revision="0014_campaign_updates")

            db.session.rollback()
            version = db.session.scalar(text("SELECT version_num FROM alembic_version"))
            status = db.session.scalar(select(Signature.status))
            assert (version, status) == ("0015_fraud_signals", "invalidated")
        finally:
            db.session.remove()
            db.engine.dispose()


def test_discreet_mail_comes_with_0017_as_ordinary_mail_and_goes_with_its_downgrade(
    empty_database_url,
):
    """Signatures from before keep ordinary mail; a downgrade keeps them, without the flag."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        try:
            upgrade(revision="0016_update_invalidated_count")
            db.session.execute(
                text(
                    "INSERT INTO signature (personal, email_hash, country, language,"
                    " keep_informed, show_name, signed_at, status, token_nonce, review_marks)"
                    " VALUES (:personal, :hash, 'DE', 'en', :f, :f, '2026-12-01T10:00:00+00:00',"
                    " 'pending', :nonce, '')"
                ),
                {"personal": b"sealed", "hash": b"\x01" * 36, "f": False, "nonce": "a" * 32},
            )
            db.session.commit()
            upgrade()
            assert db.session.scalar(text("SELECT discreet_mail FROM signature")) in (False, 0)
            indexes = {index["name"] for index in inspect(db.engine).get_indexes("signature")}
            assert "ix_signature_discreet_mail" in indexes
            db.session.rollback()

            downgrade(revision="0016_update_invalidated_count")
            columns = {column["name"] for column in inspect(db.engine).get_columns("signature")}
            assert "discreet_mail" not in columns
            assert db.session.scalar(text("SELECT count(*) FROM signature")) == 1
        finally:
            db.session.remove()
            db.engine.dispose()


def test_content_versions_come_with_0018_and_go_with_its_downgrade(empty_database_url):
    """Before 0018 the content file alone is shown; the table comes and goes cleanly."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        try:
            upgrade(revision="0017_discreet_mail")
            assert "content_version" not in _tables(app)
            upgrade(revision="0018_campaign_content")
            assert "content_version" in _tables(app)
            db.session.rollback()
            downgrade(revision="0017_discreet_mail")
            assert "content_version" not in _tables(app)
        finally:
            db.session.remove()
            db.engine.dispose()


def test_event_times_and_test_signatures_come_with_0020_and_go_with_its_downgrade(
    empty_database_url,
):
    """Events from before get no time or venue and signatures are real ones; a downgrade
    drops the new columns and the test signatures (they never counted)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    insert = (
        "INSERT INTO signature (personal, email_hash, country, language, keep_informed,"
        " show_name, signed_at, status, token_nonce, review_marks)"
        " VALUES (:personal, :hash, 'DE', 'en', :f, :f, '2026-12-01T10:00:00+00:00',"
        " 'pending', :nonce, '')"
    )
    with app.app_context():
        try:
            upgrade(revision="0017_discreet_mail")
            db.session.execute(
                text(insert),
                {"personal": b"sealed", "hash": b"\x01" * 36, "f": False, "nonce": "a" * 32},
            )
            db.session.execute(
                text(
                    "INSERT INTO event (code, title, city, starts_on, film, language, created_at)"
                    " VALUES ('ev-abcdef', 'Screening', 'Berlin', '2026-12-10', 'justice', 'de',"
                    " '2026-12-01T10:00:00+00:00')"
                )
            )
            db.session.commit()
            upgrade(revision="0020_events_and_test_signatures")
            assert db.session.scalar(text("SELECT is_test FROM signature")) in (False, 0)
            assert db.session.execute(text("SELECT starts_at, venue FROM event")).one() == (
                None,
                None,
            )
            db.session.execute(
                text(
                    insert.replace("review_marks)", "review_marks, is_test)").replace(
                        "'')", "'', :t)"
                    )
                ),
                {
                    "personal": b"test",
                    "hash": b"\x02" * 36,
                    "f": False,
                    "nonce": "b" * 32,
                    "t": True,
                },
            )
            db.session.commit()

            downgrade(revision="0017_discreet_mail")
            columns = {column["name"] for column in inspect(db.engine).get_columns("signature")}
            assert "is_test" not in columns
            assert db.session.scalar(text("SELECT count(*) FROM signature")) == 1
            columns = {column["name"] for column in inspect(db.engine).get_columns("event")}
            assert not {"starts_at", "venue"} & columns
        finally:
            db.session.remove()
            db.engine.dispose()


def test_partner_origins_come_with_0019_and_go_with_its_downgrade(empty_database_url):
    """The table of partner sites added in the admin; the downgrade drops it."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        try:
            upgrade()
            db.session.execute(
                text(
                    "INSERT INTO partner_origin (origin, added_by, added_at)"
                    " VALUES ('https://partner.example.org', 'a@example.org',"
                    " '2026-12-06T10:00:00+00:00')"
                )
            )
            db.session.commit()
            assert db.session.scalar(text("SELECT origin FROM partner_origin")) == (
                "https://partner.example.org"
            )
            db.session.rollback()
            downgrade(revision="0017_discreet_mail")
            assert "partner_origin" not in inspect(db.engine).get_table_names()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_answer_and_milestones_come_with_0022_and_go_with_its_downgrade(empty_database_url):
    """The two tables of the addressee's answer and the milestones' days come and go."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        try:
            upgrade(revision="0020_events_and_test_signatures")
            assert not {"petition_response", "milestone_reached"} & _tables(app)
            upgrade(revision="0022_petition_response")
            assert {"petition_response", "milestone_reached"} <= _tables(app)
            db.session.rollback()
            downgrade(revision="0020_events_and_test_signatures")
            assert not {"petition_response", "milestone_reached"} & _tables(app)
        finally:
            db.session.remove()
            db.engine.dispose()


def test_a_new_postgresql_database_checks_outbox_foreign_keys_through_the_index(
    postgres_server,
):
    """Each connection caches the plan of the foreign-key check that every queued email runs
    against the signature table. Planned while that table was recorded as empty, it scanned
    every signature on each insert, so signing slowed as a new site grew."""
    url = postgres_server.create_database()
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            with db.engine.connect() as connection:
                connection.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
                connection.exec_driver_sql(
                    "PREPARE fk_check(integer) AS "
                    "SELECT 1 FROM ONLY signature x WHERE id = $1 FOR KEY SHARE OF x"
                )
                plan = "\n".join(
                    row[0] for row in connection.exec_driver_sql("EXPLAIN EXECUTE fk_check(1)")
                )
            db.engine.dispose()
    finally:
        postgres_server.drop_database(url)
    assert "Index Scan using pk_signature" in plan, plan
