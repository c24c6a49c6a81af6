"""Command-line tasks, run as `flask --app campaign_site COMMAND`.

create-admin          create an admin or reset their password
mail-worker           send queued emails (run it beside the web server; --once for cron)
mail-bounces          read bounces and complaints (--maildir DIR or --imap URL; from cron)
purge-pending         delete signatures never confirmed in time; forget old network hashes
anonymise-signatures  after the campaign closes and the retention period ends
generate-key          print a new key for DATA_ENCRYPTION_KEY or BLIND_INDEX_KEY
key-status            which keys sealed how many signatures
rotate-keys           re-encrypt and re-index every signature under the current keys
encrypt-personal-data seal signatures still stored in plaintext (after migration 0006)
"""

import imaplib
import io
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click
import segno
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import inspect, select
from sqlalchemy.exc import OperationalError

from campaign_site.accounts import second_factor
from campaign_site.backup.archive import BackupError
from campaign_site.backup.operations import create_backup, restore_backup, verify_backup
from campaign_site.crypto import key_maintenance
from campaign_site.crypto.keyrings import blind_keyring, data_keyring, new_key
from campaign_site.crypto.passwords import hash_password
from campaign_site.crypto.sealed_box import UnreadableData
from campaign_site.database import write_options
from campaign_site.extensions import db
from campaign_site.mail import bounces, outbox
from campaign_site.mail.transports import transport_from_config
from campaign_site.models import AdminUser
from campaign_site.petition import retention
from campaign_site.text import normalize_admin_email

MIN_PASSWORD_LENGTH = 12


@click.command("create-admin")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    help="viewer, organiser, exporter or owner; give it more than once for several. "
    "A new admin without it is an owner; an existing admin keeps their roles.",
)
@with_appcontext
def create_admin(email: str, roles: tuple[str, ...]) -> None:
    """Create an admin, or set a new password (and roles) for an existing one.

    The password is prompted for, or read from standard input when it is piped. Changing
    an existing admin ends every session they have.
    """
    from campaign_site.accounts.permissions import OWNER, parse_roles

    try:
        address = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise click.BadParameter(str(error), param_hint="EMAIL") from None
    try:
        wanted = parse_roles(list(roles)) if roles else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--role") from None
    password = _read_password()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")

    key = normalize_admin_email(address)
    admin = db.session.scalar(select(AdminUser).where(AdminUser.email == key))
    created = admin is None
    if admin is None:
        admin = AdminUser(email=key, password_hash="", roles=wanted or OWNER)
        db.session.add(admin)
    else:
        if wanted is not None and OWNER not in wanted.split(",") and _last_owner(admin):
            raise click.ClickException(
                f"{key} is the last owner: make another admin an owner first."
            )
        admin.roles = wanted or admin.roles
        admin.session_epoch += 1  # a new password ends every session of theirs
    admin.password_hash = hash_password(password)
    enrolment = second_factor.enrol(admin)  # a new password comes with a new second factor
    db.session.commit()
    verb = "Created admin" if created else "New password and second factor set for admin"
    click.echo(f"{verb} {key} (roles: {admin.roles.replace(',', ', ')}).")
    _show_enrolment(enrolment)
    from campaign_site.accounts.audit import Action, record  # audited last: the change is made

    record(Action.ACCOUNT_CHANGED, f"create-admin: {verb.lower()} {key}, roles {admin.roles}", "")


def _show_enrolment(enrolment) -> None:
    """Printed once, never stored in the clear: the authenticator secret (URI and QR code)
    and the recovery codes, for the admin to keep somewhere safe."""
    click.echo("\nAdd this to an authenticator app (scan the QR code, or paste the URI):")
    click.echo(enrolment.uri)
    out = io.StringIO()
    segno.make(enrolment.uri, error="m").terminal(out=out, compact=True)
    click.echo(out.getvalue())
    click.echo("Recovery codes (each works once; print them and keep them apart from the phone):")
    for code in enrolment.recovery_codes:
        click.echo(f"  {code}")


def _last_owner(admin: AdminUser) -> bool:
    from campaign_site.accounts.permissions import OWNER

    owners = db.session.scalars(select(AdminUser)).all()
    holding = [other for other in owners if OWNER in other.roles.split(",")]
    return holding == [admin]


def _read_password() -> str:
    """One line from a pipe, or a hidden prompt asked twice at a terminal."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.command("mail-bounces")
@click.option(
    "--maildir",
    type=click.Path(path_type=Path, file_okay=False),
    help="The bounce mailbox as a maildir (with new/ and cur/).",
)
@click.option(
    "--imap", "imap_url", help="The bounce mailbox over IMAP: imaps://USER:PASS@HOST/MAILBOX."
)
@with_appcontext
def mail_bounces(maildir: Path | None, imap_url: str | None) -> None:
    """Read delivery and complaint reports: stop mail to mailboxes that bounce, and all but
    what they ask for to those that complain (docs/operating.md)."""
    if (maildir is None) == (imap_url is None):
        raise click.UsageError("give one of --maildir DIR or --imap URL")
    try:
        if maildir is not None:
            summary = bounces.process(bounces.MaildirSource(maildir))
        else:
            source = bounces.ImapSource(imap_url or "")
            with source.connected():
                summary = bounces.process(source)
    except (ValueError, OSError, imaplib.IMAP4.error) as error:
        raise click.ClickException(str(error)) from None
    click.echo(summary.line())


@click.command("mail-worker")
@click.option(
    "--once", is_flag=True, help="Send everything that is due, then exit (for cron and tests)."
)
@click.option(
    "--interval", default=2.0, show_default=True, help="Seconds to wait when nothing is due."
)
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
            current_app.logger.error(  # unavailable, or a deadlock: both pass
                "mail-worker: database error (%s), trying again shortly: %s",
                type(error.orig).__name__,
                error,
            )
            db.session.rollback()
            report = None
        except Exception:
            current_app.logger.exception("mail-worker: unexpected error, trying again shortly")
            db.session.rollback()
            report = None
        finally:
            db.session.remove()
        busy = report is not None and report.busy
        if report and busy:
            click.echo(
                f"mail-worker: sent {report.sent}, will retry {report.retried}, gave up {report.failed}"
                + (f", dropped {report.withheld} no longer wanted" if report.withheld else "")
            )
        if once and not busy:
            if report is None:  # cron mails the operator when a job fails
                raise SystemExit(1)
            return
        if not busy:
            # Update mail waiting for MAIL_RATE_PER_MINUTE: back as soon as it may go.
            paced = report.paced_for if report and report.paced_for > 0 else interval
            time.sleep(min(interval, paced))


@click.command("purge-pending")
@with_appcontext
def purge_pending() -> None:
    """Delete signatures whose confirmation link expired unused, and forget the network hash
    of signatures older than NETWORK_HASH_RETENTION_DAYS (run it daily)."""
    click.echo(f"Deleted {retention.purge_pending()} unconfirmed signatures.")
    click.echo(f"Forgot the network of {retention.erase_network_hashes()} older signatures.")


@click.command("anonymise-signatures")
@with_appcontext
def anonymise_signatures() -> None:
    """Erase all personal data, keeping counts per country and day (after retention ends)."""
    try:
        erased = retention.anonymise_after_close()
    except retention.RetentionNotDue as reason:
        raise click.ClickException(str(reason)) from None
    click.echo(f"Erased the personal data of {erased} signatures; counts per country and day kept.")


@click.command("generate-key")
def generate_key() -> None:
    """Print a new random key (32 bytes, URL-safe base64); nothing is stored."""
    click.echo(new_key())


@click.command("key-status")
@with_appcontext
def key_status() -> None:
    """Show the configured key ids and how many signatures each data key sealed."""
    data, blind = data_keyring(), blind_keyring()
    click.echo(f"DATA_ENCRYPTION_KEY ids: {_ids(data)} (current first)")
    click.echo(f"BLIND_INDEX_KEY ids:     {_ids(blind)} (current first)")
    for kid, rows in sorted(key_maintenance.rows_per_data_key().items()):
        state = (
            "current" if kid == data.current_id else "old" if kid in data.ids else "NOT CONFIGURED"
        )
        click.echo(f"  {rows:>12,} signatures sealed under {kid.hex()} ({state})")
    problems = [
        p for p in (key_maintenance.data_key_problem(), key_maintenance.blind_key_problem()) if p
    ]
    if problems:
        raise click.ClickException("\n".join(problems))


def _ids(keyring) -> str:
    return ", ".join(kid.hex() for kid in keyring.ids)


@click.command("rotate-keys")
@click.option("--batch-size", default=key_maintenance.BATCH_SIZE, show_default=True)
@with_appcontext
def rotate_keys(batch_size: int) -> None:
    """Re-encrypt every signature under the first (current) key of DATA_ENCRYPTION_KEY and
    recompute its blind index under the first key of BLIND_INDEX_KEY.

    Put the new key first and keep the old one after it, on every server, before running
    this. The site keeps serving; if the run stops, run it again.
    """
    problem = key_maintenance.data_key_problem()
    if problem:
        raise click.ClickException(problem)
    try:
        result = key_maintenance.rotate_keys(batch_size, progress=_print_progress("rotate-keys"))
    except UnreadableData as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"rotate-keys: done, {result.examined:,} signatures checked, {result.rewritten:,} rewritten. "
        "Every signature is now under the current keys; old keys may be removed from the settings."
    )


@click.command("encrypt-personal-data")
@click.option("--batch-size", default=key_maintenance.BATCH_SIZE, show_default=True)
@with_appcontext
def encrypt_personal_data(batch_size: int) -> None:
    """Seal signatures stored in plaintext before encryption (after `flask db upgrade 0006`).

    Each batch commits, so it can run while signing is paused and resume where it stopped;
    `flask db upgrade` then drops the plaintext columns (and seals any row left over).
    """
    columns = {column["name"] for column in inspect(db.engine).get_columns("signature")}
    if "personal" not in columns:
        raise click.ClickException("Run `flask db upgrade 0006_encrypted_personal_data` first.")
    if "name" not in columns:
        click.echo(
            "encrypt-personal-data: nothing to seal; the plaintext columns are gone (migration 0007)."
        )
        return
    with db.engine.connect().execution_options(**write_options()) as connection:
        try:
            done = key_maintenance.encrypt_plaintext(
                connection,
                data_keyring(),
                blind_keyring(),
                batch_size,
                after_batch=connection.commit,
                progress=_print_progress("encrypt-personal-data"),
            )
        except key_maintenance.DuplicateMailbox as error:
            connection.rollback()
            raise click.ClickException(str(error)) from None
        connection.commit()
    click.echo(f"encrypt-personal-data: {done:,} signatures sealed; none is left in plaintext.")


def _print_progress(command: str):
    def progress(done: int, total: int, rewritten: int) -> None:
        share = done / total if total else 1
        click.echo(f"{command}: {done:,} of {total:,} ({share:.0%}), {rewritten:,} rewritten")

    return progress


@click.group("backup")
def backup() -> None:
    """Back the database up, check a backup, restore one (docs/backups.md)."""


@backup.command("create")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path),
    help="Write DIR/campaign-<UTC time>.backup instead of PATH.",
)
@click.option("--keep", type=int, help="With --dir: keep only the newest N backups there.")
@with_appcontext
def backup_create(path: Path | None, folder: Path | None, keep: int | None) -> None:
    """Write a consistent backup while the site keeps serving (PATH must not exist)."""
    if (path is None) == (folder is None):
        raise click.UsageError("Give either PATH or --dir DIR.")
    if keep is not None and (folder is None or keep < 1):
        raise click.UsageError("--keep needs --dir and a number of at least 1.")
    if folder is not None:
        path = folder / f"campaign-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.backup"
    assert path is not None
    click.echo(
        f"backup: copying the {db.engine.dialect.name} database into {path} (the site keeps serving)"
    )
    try:
        manifest = create_backup(path, progress=_backup_progress("backup"))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"backup: wrote {path} ({manifest.payload_bytes:,} bytes; {manifest.rows_summary()})"
    )
    if folder is not None and keep is not None:
        for old in sorted(folder.glob("campaign-*.backup"))[:-keep]:
            old.unlink()
            click.echo(f"backup: removed {old} (keeping the newest {keep})")


@backup.command("verify")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup_verify(path: Path) -> None:
    """Read a whole backup and say whether it can be restored here."""
    try:
        checked = verify_backup(path)
    except BackupError as error:
        raise click.ClickException(f"{path} cannot be restored: {error}") from None
    for line in checked:
        click.echo(f"verify: {line}")
    click.echo(f"verify: {path} can be restored.")


@backup.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup_restore(path: Path) -> None:
    """Restore a backup into the empty database DATABASE_URL names, then migrate it."""
    click.echo(
        f"restore: checking {path}, then loading it into the {db.engine.dialect.name} database"
    )
    try:
        manifest, erased = restore_backup(path, progress=_backup_progress("restore"))
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    for line in erased:
        click.echo(f"restore: {line}")
    click.echo(f"restore: done ({manifest.rows_summary()}); the schema is at this code's revision.")


def _backup_progress(command: str):
    def progress(table: str, rows: int) -> None:
        if rows % 100_000 == 0:
            click.echo(f"{command}: {table}: {rows:,} rows")

    return progress


COMMANDS = [
    backup,
    create_admin,
    mail_worker,
    mail_bounces,
    purge_pending,
    anonymise_signatures,
    generate_key,
    key_status,
    rotate_keys,
    encrypt_personal_data,
]
