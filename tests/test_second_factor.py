"""Two factors for every admin: TOTP at login (enrolled only on the server), single-use
codes and recovery codes, lockout on wrong codes, re-authentication before personal data."""

import re

import pytest
from support import current_code, give_code, log_in, sign, totp_secret_from

from campaign_site.extensions import db
from campaign_site.models import AdminUser

PASSWORD = "correct horse battery staple"


@pytest.fixture
def totp_app(app_factory):
    return app_factory(ADMIN_TOTP_REQUIRED=True)


def create_admin(app, email="boss@example.org", password=PASSWORD):
    result = app.test_cli_runner().invoke(args=["create-admin", email], input=password + "\n")
    assert result.exit_code == 0, result.output
    return result.output


def test_create_admin_prints_the_secret_once_and_stores_it_sealed(totp_app):
    output = create_admin(totp_app)
    secret = totp_secret_from(output)
    assert "otpauth://totp/Justice%20for%20Sergei%20Magnitsky:boss%40example.org" in output
    codes = re.findall(r"^  ([0-9a-f]{5}(?:-[0-9a-f]{5}){3})$", output, re.M)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "█" in output  # the QR code for the phone
    with totp_app.app_context():
        admin = db.session.scalar(db.select(AdminUser))
        assert secret.encode() not in admin.totp_secret  # sealed
        assert not any(code.replace("-", "") in admin.recovery_codes for code in codes)  # hashed


def test_login_asks_for_the_code_before_anything_opens(totp_app):
    secret = totp_secret_from(create_admin(totp_app))
    client = totp_app.test_client()
    first = log_in(client, "boss@example.org", PASSWORD, next_path="/admin/signatures.csv")
    assert first.status_code == 303 and "/admin/login/code" in first.headers["Location"]
    assert client.get("/admin/").status_code == 302  # the password alone opens nothing
    done = give_code(client, current_code(secret), next_path="/admin/signatures.csv")
    assert done.status_code == 303 and done.headers["Location"] == "/admin/signatures.csv"
    assert client.get("/admin/").status_code == 200


def test_one_step_of_clock_drift_is_accepted_and_two_are_not(totp_app):
    secret = totp_secret_from(create_admin(totp_app))
    client = totp_app.test_client()
    log_in(client, "boss@example.org", PASSWORD)
    assert give_code(client, current_code(secret, -2)).status_code == 422
    assert give_code(client, current_code(secret, -1)).status_code == 303


def test_a_code_works_once(totp_app):
    secret = totp_secret_from(create_admin(totp_app))
    first, second = totp_app.test_client(), totp_app.test_client()
    code = current_code(secret)
    log_in(first, "boss@example.org", PASSWORD)
    assert give_code(first, code).status_code == 303
    log_in(second, "boss@example.org", PASSWORD)
    replay = give_code(second, code)
    assert replay.status_code == 422 and "each works once" in replay.get_data(as_text=True)
    assert second.get("/admin/").status_code == 302


def test_a_recovery_code_works_once(totp_app):
    output = create_admin(totp_app)
    code = re.findall(r"^  ([0-9a-f-]{23})$", output, re.M)[0]
    client = totp_app.test_client()
    log_in(client, "boss@example.org", PASSWORD)
    assert give_code(client, code.upper()).status_code == 303  # case and dashes forgiven
    again = totp_app.test_client()
    log_in(again, "boss@example.org", PASSWORD)
    assert give_code(again, code).status_code == 422


def test_wrong_codes_lock_the_account_as_wrong_passwords_do(app_factory):
    app = app_factory(ADMIN_TOTP_REQUIRED=True, RATELIMIT_ENABLED=True, ADMIN_MAX_FAILED_LOGINS=3)
    secret = totp_secret_from(create_admin(app))
    client = app.test_client()
    log_in(client, "boss@example.org", PASSWORD, ip="203.0.113.9")
    for _ in range(3):
        give_code(client, "000000")
    log_in(client, "boss@example.org", PASSWORD, ip="203.0.113.9")
    locked = give_code(client, current_code(secret))
    assert locked.status_code in (303, 422)
    assert client.get("/admin/").status_code == 302  # the right code no longer opens it


def test_an_admin_without_a_second_factor_is_told_and_kept_out(totp_app):
    with totp_app.app_context():  # as migration 0013 leaves an admin from before
        create_admin(totp_app)
        admin = db.session.scalar(db.select(AdminUser))
        admin.totp_secret = None
        db.session.commit()
    client = totp_app.test_client()
    response = log_in(client, "boss@example.org", PASSWORD)
    assert response.status_code == 422
    assert "no second factor yet" in response.get_data(as_text=True)
    assert "create-admin" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    wrong = log_in(client, "boss@example.org", "a wrong password entirely")
    assert "no second factor" not in wrong.get_data(as_text=True)  # the password decides first


def test_create_admin_again_sets_a_new_factor_and_ends_sessions(totp_app):
    old = totp_secret_from(create_admin(totp_app))
    client = totp_app.test_client()
    log_in(client, "boss@example.org", PASSWORD)
    give_code(client, current_code(old))
    assert client.get("/admin/").status_code == 200
    new = totp_secret_from(create_admin(totp_app, password="another long passphrase"))
    assert new != old
    assert client.get("/admin/").status_code == 302


def test_exports_and_searches_ask_again_after_the_reauth_period(app_factory, monkeypatch):
    app = app_factory(ADMIN_TOTP_REQUIRED=True, ADMIN_REAUTH_MINUTES=0)
    secret = totp_secret_from(create_admin(app))
    sign(app.test_client())
    client = app.test_client()
    log_in(client, "boss@example.org", PASSWORD)
    give_code(client, current_code(secret))
    import time

    later = time.time() + 2
    monkeypatch.setattr("time.time", lambda: later)  # the period (0 minutes) has run out
    asked = client.get("/admin/signatures.csv?status=all")
    assert asked.status_code == 303 and "/admin/reauth" in asked.headers["Location"]
    page = client.get(asked.headers["Location"])
    assert "Confirm it is you" in page.get_data(as_text=True)
    from support import csrf_token_from

    token = csrf_token_from(page.get_data(as_text=True))
    refused = client.post(
        asked.headers["Location"],
        data={"csrf_token": token, "password": PASSWORD, "code": "000000"},
    )
    assert refused.status_code == 422 and "Nothing was exported" in refused.get_data(as_text=True)
    app.config["ADMIN_REAUTH_MINUTES"] = 5
    # The login used this step's code: the next step's (one step of drift) is fresh.
    confirmed = client.post(
        asked.headers["Location"],
        data={"csrf_token": token, "password": PASSWORD, "code": current_code(secret, 1)},
    )
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"] == "/admin/signatures.csv?status=all"
    export = client.get("/admin/signatures.csv?status=all")
    assert export.status_code == 200 and export.mimetype == "text/csv"
