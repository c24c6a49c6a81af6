"""Command-line tasks, run as `flask --app campaign_site COMMAND`.

create-admin          create an admin or reset their password
mail-worker           send queued emails (run it beside the web server; --once for cron)
purge-pending         delete signatures never confirmed in time
anonymise-signatures  after the campaign closes and the retention period ends
"""

import sys
import time

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from werkzeug.security import generate_password_hash

from . import outbox, signing
from .admin.auth import normalize_admin_email
from .extensions import db
from .mail import transport_from_config
from .models import AdminUser

MIN_PASSWORD_LENGTH = 12


@click.command("create-admin")
@click.argument("email")
@with_appcontext
def create_admin(email: str) -> None:
    """Create an admin, or set a new password for an existing one.

    The password is prompted for, or read from standard input when it is piped.
    """
    try:
        address = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise click.BadParameter(str(error), param_hint="EMAIL") from None
    password = _read_password()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")

    key = normalize_admin_email(address)
    admin = db.session.scalar(select(AdminUser).where(AdminUser.email == key))
    created = admin is None
    if created:
        admin = AdminUser(email=key, password_hash="")
        db.session.add(admin)
    admin.password_hash = generate_password_hash(password)
    db.session.commit()
    click.echo(f"{'Created admin' if created else 'New password set for admin'} {key}.")


def _read_password() -> str:
    """One line from a pipe, or a hidden prompt asked twice at a terminal."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.command("mail-worker")
@click.option("--once", is_flag=True, help="Send everything that is due, then exit (for cron and tests).")
@click.option("--interval", default=2.0, show_default=True, help="Seconds to wait when nothing is due.")
@click.option("--batch-size", default=100, show_default=True, help="Messages claimed at a time.")
@with_appcontext
def mail_worker(once: bool, interval: float, batch_size: int) -> None:
    """Send queued emails, retrying with backoff while the mail server is away."""
    transport = transport_from_config()
    click.echo(f"mail-worker: sending with {type(transport).__name__}", err=True)
    while True:
        try:
            report = outbox.deliver_due(transport, batch_size)
        except OperationalError as error:  # the database is away: wait, don't die
            current_app.logger.error("mail-worker: database unavailable: %s", error)
            db.session.rollback()
            report = None
        finally:
            db.session.remove()
        if report and (report.sent or report.retried or report.failed):
            click.echo(f"mail-worker: sent {report.sent}, will retry {report.retried}, gave up {report.failed}")
        busy = report is not None and (report.sent + report.retried + report.failed) > 0
        if once and not busy:
            return
        if not busy:
            time.sleep(interval)


@click.command("purge-pending")
@with_appcontext
def purge_pending() -> None:
    """Delete signatures whose confirmation link expired unused."""
    click.echo(f"Deleted {signing.purge_pending()} unconfirmed signatures.")


@click.command("anonymise-signatures")
@with_appcontext
def anonymise_signatures() -> None:
    """Erase all personal data, keeping counts per country and day (after retention ends)."""
    try:
        erased = signing.anonymise_after_close()
    except signing.RetentionNotDue as reason:
        raise click.ClickException(str(reason)) from None
    click.echo(f"Erased the personal data of {erased} signatures; counts per country and day kept.")


COMMANDS = [create_admin, mail_worker, purge_pending, anonymise_signatures]
