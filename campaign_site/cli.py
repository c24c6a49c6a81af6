"""Command-line tasks: `flask --app campaign_site create-admin EMAIL`."""

import sys

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import with_appcontext
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from .admin.auth import normalize_admin_email
from .extensions import db
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
