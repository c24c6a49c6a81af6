"""Settings read from the environment, one class per way of running the site.

Values are read when a class is instantiated, not at import, so the environment
in force when the app is created is the one that counts.
"""

import base64
import binascii
import hashlib
import os
import re
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import ClassVar
from urllib.parse import urlsplit

from flask.helpers import get_debug_flag

from campaign_site.content import DEFAULT_CONTENT_FILE

# Used only by development and tests; production refuses to start with it.
DEV_SECRET_KEY = "dev-only-not-secret-change-me"
# Keys the test suite encrypts with; nothing real is ever sealed under them.
TEST_DATA_ENCRYPTION_KEY = "4o8nh44PtSqh170CbnZ94zpwIVUwgpSdQcr-igak6pY="
TEST_BLIND_INDEX_KEY = "AbTllHbts2xvCpQ2QwwiCX67poFMaPkOiDn8qD_Of-w="


def _env(name: str, default: str | None = None) -> str | None:
    """A setting from the environment; blank counts as unset."""
    raw = os.environ.get(name, "").strip()
    return raw or default


def _int_env(name: str, default: int) -> int:
    """A whole number from the environment, failing loudly on junk."""
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, got {raw!r}") from None


def _hours_or_off_env(name: str, default: int) -> int | None:
    """A number of hours from the environment, or None for "off"; junk fails loudly."""
    raw = _env(name)
    if raw is not None and raw.strip().lower() == "off":
        return None
    hours = _int_env(name, default)
    if hours < 0:
        raise RuntimeError(f"{name} must be a number of hours (0 or more) or off, got {raw!r}")
    return hours


def _float_env(name: str, default: float) -> float:
    """A number of seconds (fractions allowed) from the environment, failing loudly on junk."""
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be a number, got {raw!r}") from None


def _bool_env(name: str, default: bool) -> bool:
    """A yes/no flag from the environment."""
    raw = _env(name)
    if raw is None:
        return default
    return raw.lower() in {"1", "true", "yes", "on"}


def _list_env(name: str) -> list[str]:
    """A comma-separated list from the environment (blank entries dropped)."""
    return [item.strip() for item in (_env(name) or "").split(",") if item.strip()]


def _datetime_env(name: str) -> datetime | None:
    """An ISO 8601 moment from the environment; without a zone it is taken as UTC."""
    raw = _env(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise RuntimeError(f"{name} must be an ISO 8601 date and time, got {raw!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


LOG_FORMATS = ("text", "json")


def log_format() -> str:
    """LOG_FORMAT: text (the default) or json; read by the app and by gunicorn's logger."""
    raw = (_env("LOG_FORMAT", "text") or "").lower()
    if raw not in LOG_FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be text or json, got {raw!r}")
    return raw


def _closing_time() -> datetime | None:
    """PETITION_CLOSES_AT. Its old name is refused, not read: one name for the setting, and a
    server that still sets the old one must not quietly keep a closed petition open."""
    if os.environ.get("CAMPAIGN_CLOSES_AT", "").strip():
        raise RuntimeError(
            "CAMPAIGN_CLOSES_AT is now called PETITION_CLOSES_AT: please rename it on the server"
        )
    return _datetime_env("PETITION_CLOSES_AT")


def database_url(default: str | None) -> str | None:
    """DATABASE_URL, with plain postgres:// URLs pointed at the psycopg 3 driver we install."""
    url = _env("DATABASE_URL", default)
    if url and url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Config:
    """Settings shared by every environment."""

    PRODUCTION = False
    # Until the required content is published the page says "launching soon" and takes no
    # signature (petition/campaign_content.py); a developer's own copy shows the form.
    WAIT_FOR_CONTENT = True
    # Not read from the environment: no deployment can weaken it.
    PASSWORD_HASH_METHOD = "scrypt"
    LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
    # No pool_pre_ping: a connection is pinged only after a pause (database.configure_engine).
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, object]] = {}
    # A page left open for hours must still submit; the token stays bound to the session.
    WTF_CSRF_TIME_LIMIT = None
    # No Referer check on HTTPS: supporters who hide their referrer (privacy tools) must
    # still be able to sign. The session-bound token and SameSite=Lax cookies stop CSRF.
    WTF_CSRF_SSL_STRICT = False
    # Every message on our forms is our own and goes through Flask-Babel; Flask-WTF's
    # WTForms translations would reload a .mo file on every form (benchmarks/RESULTS.md).
    WTF_I18N_ENABLED = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # The form is a few hundred bytes; anything far larger is not a signature.
    MAX_CONTENT_LENGTH = 16 * 1024
    # No X-RateLimit-* headers: they cost a storage round trip per request. The 429 page
    # sets Retry-After itself (web/errors.py).
    RATELIMIT_HEADERS_ENABLED = False

    def __init__(self) -> None:
        self.SECRET_KEY = _env("SECRET_KEY", DEV_SECRET_KEY)
        # A relative SQLite path lands in instance/ (Flask-SQLAlchemy resolves it there).
        self.SQLALCHEMY_DATABASE_URI = database_url("sqlite:///campaign.db")
        # `transaction` behind a transaction pooler (PgBouncer, deploy/pgbouncer/): no
        # server-side prepared statements, nothing kept on a connection between transactions
        # (database.engine_options); `session` (the default) for a direct connection.
        self.DATABASE_POOL_MODE = _env("DATABASE_POOL_MODE", "session")
        self.SIGNATURE_GOAL = _int_env("SIGNATURE_GOAL", 100_000)
        # Below this many signatures the page invites visitors to be among the first
        # instead of showing a small number against the goal.
        self.FIRST_SIGNERS_THRESHOLD = _int_env("FIRST_SIGNERS_THRESHOLD", 100)
        # Countries with fewer confirmed signatures are shown only as "other countries".
        self.PUBLIC_COUNTRY_MIN = _int_env("PUBLIC_COUNTRY_MIN", 10)
        # Paper signatures (entered per event) on the public page too, on a line of their own.
        self.SHOW_PAPER_SIGNATURES = _bool_env("SHOW_PAPER_SIGNATURES", False)
        # The campaign's words and facts (campaign_site/content.py); production will not
        # start while the entries the sources cannot give (addressee, contact) are empty.
        self.CONTENT_FILE = _env("CONTENT_FILE", str(DEFAULT_CONTENT_FILE))
        # /healthz and the dashboard warn when the last backup is older than this.
        self.BACKUP_MAX_AGE_HOURS = _int_env("BACKUP_MAX_AGE_HOURS", 26)
        # Every withdrawal and erasure is written down here (one file per host) before it is
        # committed, so `backup restore` erases those supporters again; default instance/erasures.
        self.ERASURE_LEDGER_DIR = _env("ERASURE_LEDGER_DIR")
        # Every write answers 503 (a polite page); reads keep serving. For moving the database.
        self.MAINTENANCE_MODE = _bool_env("MAINTENANCE_MODE", False)
        # The site's absolute address, for share links and the links in emails.
        self.PUBLIC_URL = (_env("PUBLIC_URL", "http://127.0.0.1:5000") or "").rstrip("/")
        # Requests for any other Host are refused (400), so no redirect or link can be
        # built on an attacker's host name. Development and tests also answer on loopback.
        self.EXTRA_TRUSTED_HOSTS = _list_env("TRUSTED_HOSTS") + list(self.LOOPBACK_HOSTS)
        # The site's Tor onion service, http://<56 characters>.onion (deploy/tor/): public pages
        # name it in Onion-Location, /safety shows it; onion_url() checks it at start-up.
        self.ONION_URL = _env("ONION_URL")
        # Partners' sites whose pages may show /embed in an iframe (its CSP frame-ancestors):
        # origins like https://partner.example.org, comma-separated; embed_origins checks them.
        self.EMBED_ORIGINS = _list_env("EMBED_ORIGINS")
        # email-validator asks DNS whether the domain takes mail only when told to.
        self.EMAIL_CHECK_DELIVERABILITY = _bool_env("EMAIL_CHECK_DELIVERABILITY", False)
        self.DNS_SYSTEM_RESOLVER = True  # MX lookups may use the system's resolvers

        # Double opt-in: a signature counts once its address is confirmed.
        self.CONFIRMATION_REQUIRED = _bool_env("CONFIRMATION_REQUIRED", True)
        self.CONFIRMATION_EXPIRY_DAYS = _int_env("CONFIRMATION_EXPIRY_DAYS", 7)
        # A withdraw link erases a signature: it works this long, then a fresh one can be mailed.
        self.WITHDRAW_LINK_DAYS = _int_env("WITHDRAW_LINK_DAYS", 30)
        # Signing again mails the address at most this often, so it can't be used to spam.
        self.RESEND_INTERVAL_MINUTES = _int_env("RESEND_INTERVAL_MINUTES", 60)
        # Closing the petition (petition/closing.py): from PETITION_CLOSES_AT on, every public
        # page says "closed on DATE with N signatures" and signing answers 410; confirmation
        # links mailed before it keep working CLOSING_GRACE_DAYS longer.
        self.PETITION_CLOSES_AT = _closing_time()
        self.CLOSING_GRACE_DAYS = _int_env("CLOSING_GRACE_DAYS", 7)
        self.RETENTION_DAYS_AFTER_CLOSE = _int_env("RETENTION_DAYS_AFTER_CLOSE", 183)

        # Mail: SMTP when MAIL_SMTP_HOST is set, otherwise .eml files in MAIL_OUTBOX_DIR.
        self.MAIL_SENDER = _env("MAIL_SENDER", "Justice for Sergei <petition@localhost>")
        self.MAIL_SMTP_HOST = _env("MAIL_SMTP_HOST")
        self.MAIL_SMTP_PORT = _int_env("MAIL_SMTP_PORT", 587)
        self.MAIL_SMTP_STARTTLS = _bool_env("MAIL_SMTP_STARTTLS", True)
        self.MAIL_SMTP_SSL = _bool_env("MAIL_SMTP_SSL", False)
        self.MAIL_SMTP_USER = _env("MAIL_SMTP_USER")
        self.MAIL_SMTP_PASSWORD = _env("MAIL_SMTP_PASSWORD")
        self.MAIL_SMTP_TIMEOUT = _int_env("MAIL_SMTP_TIMEOUT", 15)
        self.MAIL_OUTBOX_DIR = _env("MAIL_OUTBOX_DIR")  # default: instance/outbox
        self.MAIL_MAX_ATTEMPTS = _int_env("MAIL_MAX_ATTEMPTS", 12)
        # A message that fails to build (a bug or bad data, not the network) gets fewer tries.
        self.MAIL_MAX_BUILD_ATTEMPTS = _int_env("MAIL_MAX_BUILD_ATTEMPTS", 3)
        # Addresses with non-ASCII before the @ need a mail server that offers SMTPUTF8.
        self.MAIL_SMTPUTF8 = _bool_env("MAIL_SMTPUTF8", False)
        # Campaign updates leave at most this many per minute, all workers together;
        # transactional mail (confirmation links) is never held back by it.
        self.MAIL_RATE_PER_MINUTE = _int_env("MAIL_RATE_PER_MINUTE", 600)
        # Discreet mail (docs/security.md): mail domains and mail servers (MX host
        # suffixes) under Russian or Belarusian law beyond petition/mail_risk.py's lists.
        self.MAIL_RISKY_DOMAINS = _list_env("MAIL_RISKY_DOMAINS")
        self.MAIL_RISKY_MX = _list_env("MAIL_RISKY_MX")
        # The mail worker's MX lookups: host[:port] of the DNS servers to ask (unset: the
        # system's resolvers), and how long one lookup may take before mail goes out as usual.
        self.DNS_NAMESERVERS = _list_env("DNS_NAMESERVERS")
        self.DNS_TIMEOUT_SECONDS = _float_env("DNS_TIMEOUT_SECONDS", 2.0)
        # Discreet emails come from a neutral sender and link to a neutral host name for
        # this site (unset: PUBLIC_URL), which is then a trusted host too.
        self.DISCREET_MAIL_SENDER = _env(
            "DISCREET_MAIL_SENDER", None if self.PRODUCTION else "Notifications <noreply@localhost>"
        )
        self.DISCREET_LINK_URL = (_env("DISCREET_LINK_URL", "") or "").rstrip("/")
        # Fraud signals (docs/fraud.md): how long a signature keeps its network's
        # hash, and what an hour from one network or one email domain may hold unflagged.
        self.NETWORK_HASH_RETENTION_DAYS = _int_env("NETWORK_HASH_RETENTION_DAYS", 30)
        self.TRENDING_NETWORK_PER_HOUR = _int_env("TRENDING_NETWORK_PER_HOUR", 30)
        self.TRENDING_DOMAIN_PER_HOUR = _int_env("TRENDING_DOMAIN_PER_HOUR", 10)
        # The mail loop (docs/operating.md, "Reminders, bounces and complaints"): a signature
        # still pending this many hours after signing gets one reminder (None: "off"), and
        # every message's return path is MAIL_BOUNCE_ADDRESS with a token after a "+" (VERP),
        # so `flask mail-bounces` can tie a bounce or complaint to it (unset: no VERP).
        self.CONFIRMATION_REMINDER_HOURS = _hours_or_off_env("CONFIRMATION_REMINDER_HOURS", 48)
        self.MAIL_BOUNCE_ADDRESS = _env("MAIL_BOUNCE_ADDRESS")
        if self.MAIL_RATE_PER_MINUTE < 1:
            raise RuntimeError("MAIL_RATE_PER_MINUTE must be at least 1 (messages per minute).")

        # Rate limits (Flask-Limiter strings). Redis when several processes serve the site.
        self.RATELIMIT_ENABLED = _bool_env("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
        # Separates this site's counts from anything else that uses the same Redis.
        self.RATELIMIT_KEY_PREFIX = _env("RATELIMIT_KEY_PREFIX", "campaign_site")
        # Signatures stored per client address. Generous on purpose: a cinema's Wi-Fi after a
        # screening, a university or a mobile carrier puts hundreds of people behind one IPv4
        # address; a person needs ~30 s for the form, so 60 a minute is a full hall signing at
        # once, and double opt-in proves each mailbox anyway. Scripts above it get a 429.
        self.SIGN_RATE_LIMIT = _env("SIGN_RATE_LIMIT", "60 per minute;600 per hour;5000 per day")
        # The ceiling for forms carrying the code of an event on now (admin/events.py): a full
        # hall signing as the credits roll (400 in ten minutes) shares one Wi-Fi address.
        self.EVENT_SIGN_RATE_LIMIT = _env(
            "EVENT_SIGN_RATE_LIMIT", "600 per minute;3000 per hour;10000 per day"
        )
        # Submissions that fail validation, counted apart so typos never use up the allowance.
        self.SIGN_INVALID_RATE_LIMIT = _env(
            "SIGN_INVALID_RATE_LIMIT", "120 per minute;2000 per day"
        )
        # More stored signatures than this from one address are kept but marked busy_address.
        self.SIGN_REVIEW_THRESHOLD = _env("SIGN_REVIEW_THRESHOLD", "20 per 10 minutes")
        self.LOGIN_RATE_LIMIT_PER_IP = _env("LOGIN_RATE_LIMIT_PER_IP", "10 per minute;100 per day")
        self.LOGIN_RATE_LIMIT_PER_ACCOUNT = _env("LOGIN_RATE_LIMIT_PER_ACCOUNT", "20 per hour")
        self.LINK_RATE_LIMIT = _env("LINK_RATE_LIMIT", "30 per minute;300 per day")
        # Organisations co-signing (public/organisations.py): applications per client address,
        # valid or not. A person needs minutes for the form and a logo; each valid one mails.
        self.ORGANISATION_APPLY_RATE_LIMIT = _env(
            "ORGANISATION_APPLY_RATE_LIMIT", "10 per hour;30 per day"
        )
        # How many proxies in front of us may set X-Forwarded-For / -Proto (0: trust none).
        self.TRUSTED_PROXIES = _int_env("TRUSTED_PROXIES", 0)

        # Public pages and /api/count are re-rendered at most this often per process ...
        self.PUBLIC_CACHE_SECONDS = _int_env("PUBLIC_CACHE_SECONDS", 2)
        # ... and kept this long by browsers (max-age: short, so a supporter who comes back
        # after confirming sees their signature) and by shared caches, nginx or a CDN
        # (s-maxage). A page's count is at most about s-maxage old; site.js asks /api/count.
        self.PUBLIC_CACHE_MAX_AGE = _int_env("PUBLIC_CACHE_MAX_AGE", 5)
        self.PUBLIC_CACHE_S_MAXAGE = _int_env("PUBLIC_CACHE_S_MAXAGE", 60)

        # Bots: a submission faster than this after the page was served is not a person.
        self.SIGNING_MIN_SECONDS = _int_env("SIGNING_MIN_SECONDS", 3)
        # Emergency switch; admins can also pause signing from the dashboard.
        self.SIGNING_PAUSED = _bool_env("SIGNING_PAUSED", False)

        self.ADMIN_IDLE_MINUTES = _int_env("ADMIN_IDLE_MINUTES", 30)
        # A TOTP code after the password (accounts/second_factor.py); tests of other features
        # switch it off.
        self.ADMIN_TOTP_REQUIRED = _bool_env("ADMIN_TOTP_REQUIRED", True)
        # Exports and searches of personal data ask for the password (and a code) again
        # when the last time is older than this.
        self.ADMIN_REAUTH_MINUTES = _int_env("ADMIN_REAUTH_MINUTES", 5)
        self.ADMIN_MAX_FAILED_LOGINS = _int_env("ADMIN_MAX_FAILED_LOGINS", 5)
        self.ADMIN_LOCK_MINUTES = _int_env("ADMIN_LOCK_MINUTES", 15)
        # Guesses at one account from all addresses together; known devices still get in.
        self.ADMIN_ACCOUNT_MAX_FAILED_LOGINS = _int_env("ADMIN_ACCOUNT_MAX_FAILED_LOGINS", 30)
        self.ADMIN_DEVICE_DAYS = _int_env("ADMIN_DEVICE_DAYS", 90)
        # High-risk periods: every export of personal data waits for a second owner's approval
        # (admin/accounts.py). Environment only, so nobody can switch it off from the web.
        self.EXPORT_APPROVAL_REQUIRED = _bool_env("EXPORT_APPROVAL_REQUIRED", False)

        # Metrics and logs (docs/deploying.md#metrics-and-alerts). /metrics answers only a
        # request with "Authorization: Bearer METRICS_TOKEN"; unset, there is no /metrics at
        # all (404, as any unknown address). LOG_FORMAT=json: one JSON object per log line.
        self.METRICS_TOKEN = _env("METRICS_TOKEN")
        self.LOG_FORMAT = log_format()

        # Supporters' data keys (crypto/keyrings.py): the value itself, or a file that holds it.
        for setting in ("DATA_ENCRYPTION_KEY", "BLIND_INDEX_KEY"):
            setattr(self, setting, _env(setting))
            setattr(self, f"{setting}_FILE", _env(f"{setting}_FILE"))


class DevelopmentConfig(Config):
    """`make run` on a laptop: SQLite in instance/."""

    WAIT_FOR_CONTENT = False  # the form shows before the campaign's words are filled in


class TestingConfig(Config):
    """pytest: the fixtures choose the database."""

    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = DEV_SECRET_KEY
        self.SIGNATURE_GOAL = 1000
        self.FIRST_SIGNERS_THRESHOLD = 0  # tests of the invitation set it
        self.PUBLIC_URL = "http://localhost"
        self.MAIL_SMTP_HOST = None
        self.RATELIMIT_ENABLED = False  # tests about limits switch them on
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.SIGNING_MIN_SECONDS = 0
        self.SIGNING_PAUSED = False
        self.PUBLIC_CACHE_SECONDS = 0  # tests see every change at once
        self.ADMIN_TOTP_REQUIRED = False  # tests of the second factor switch it on
        self.DATA_ENCRYPTION_KEY = TEST_DATA_ENCRYPTION_KEY
        self.BLIND_INDEX_KEY = TEST_BLIND_INDEX_KEY
        # scrypt was a fifth of the suite's time; tests of hashing itself ask for it.
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
        # Tests never ask the machine's resolvers: MX lookups go only to a DNS server a
        # test starts (DNS_NAMESERVERS); without one the worker looks nothing up.
        self.DNS_SYSTEM_RESOLVER = False


class ProductionConfig(Config):
    """Behind gunicorn: secure cookies, and no start without real secrets."""

    PRODUCTION = True
    LOOPBACK_HOSTS = ()  # only PUBLIC_URL's host and TRUSTED_HOSTS
    DEBUG = False
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    def __init__(self) -> None:
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = database_url(None)
        # Emails must link to the real site, and must really be sent.
        self.PUBLIC_URL = (_env("PUBLIC_URL", "") or "").rstrip("/")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def trusted_hosts(config) -> list[str]:
    """The Host names the site answers to: PUBLIC_URL's, the onion's, the discreet links'
    then any extra ones."""
    named = [config.get(name) for name in ("PUBLIC_URL", "ONION_URL", "DISCREET_LINK_URL")]
    hosts = [host for host in dict.fromkeys(urlsplit(url or "").hostname for url in named) if host]
    return hosts + [host for host in config.get("EXTRA_TRUSTED_HOSTS", []) if host not in hosts]


# A v3 onion address: 56 base32 characters naming a key, its checksum and version 3.
ONION_HOST = re.compile(r"[a-z2-7]{56}\.onion")


def onion_url(config) -> str | None:
    """ONION_URL as http://<address>.onion, or None when unset. Anything else stops the start
    with the value named: an onion service is reached over plain http (Tor encrypts the
    circuit), by its v3 address and no path; a mistyped character fails the checksum."""
    raw = (config.get("ONION_URL") or "").strip()
    if not raw:
        return None
    parts = urlsplit(raw.lower())
    host = parts.hostname or ""
    plain = parts.scheme == "http" and parts.netloc == host and parts.path in ("", "/")
    if not (plain and not parts.query and not parts.fragment and ONION_HOST.fullmatch(host)):
        raise RuntimeError(
            f"ONION_URL: {raw!r} is not an onion service's address. Write http://<56 letters "
            "and digits>.onion, as Tor prints it in the service's hostname file: http, not "
            "https; no port, path or query."
        )
    if not _onion_checksum_holds(host.removesuffix(".onion")):
        raise RuntimeError(
            f"ONION_URL: {raw!r} fails the onion address's checksum: a character is wrong. "
            "Copy it again from the hostname file in HiddenServiceDir."
        )
    return f"http://{host}"


def _onion_checksum_holds(label: str) -> bool:
    """Tor's rend-spec-v3: base32(key 32 bytes | checksum 2 | version 1), the checksum being
    SHA3-256(".onion checksum" | key | version)[:2] and the version 3."""
    try:
        raw = base64.b32decode(label.upper())
    except binascii.Error:
        return False
    key, checksum, version = raw[:32], raw[32:34], raw[34:]
    digest = hashlib.sha3_256(b".onion checksum" + key + version).digest()
    return version == b"\x03" and checksum == digest[:2]


# scheme://host[:port] and nothing else (a trailing "/" is forgiven): no path, no wildcard,
# no quote or space, so an entry can go into a Content-Security-Policy as it is.
ORIGIN = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)"
    r"(?::(?P<port>[0-9]{1,5}))?/?"
)


def embed_origins(config) -> list[str]:
    """EMBED_ORIGINS as origins (a list, or the comma-separated string a test may pass):
    https://host[:port], or outside production http://127.0.0.1 or http://localhost with a
    port. Anything else stops the start with the entry named."""
    raw = config.get("EMBED_ORIGINS") or []
    entries = raw.split(",") if isinstance(raw, str) else raw
    origins = []
    for entry in (item.strip() for item in entries if item.strip()):
        try:
            origins.append(embed_origin(entry, production=bool(config.get("PRODUCTION"))))
        except ValueError as refused:
            raise RuntimeError(f"EMBED_ORIGINS: {refused}") from None
    return origins


def embed_origin(entry: str, production: bool) -> str:
    """One origin allowed to frame the embed, normalised (lower case, no trailing "/"); the
    one check for EMBED_ORIGINS and for the partner sites organisers add in the admin.
    ValueError names the entry and says what an origin looks like."""
    entry = entry.strip()
    match = ORIGIN.fullmatch(entry.lower())
    port = match and match["port"]
    loopback = bool(match) and match["host"] in ("127.0.0.1", "localhost")
    allowed = bool(match) and (match["scheme"] == "https" or (loopback and not production))
    if not allowed or (port is not None and not 0 < int(port) < 65536):
        raise ValueError(
            f"{entry!r} is not an origin a partner's page can have. Write "
            "https://host or https://host:port (no path, no wildcard), comma-separated; "
            "http://127.0.0.1:PORT or http://localhost:PORT only outside production."
        )
    return entry.lower().rstrip("/")


POOL_MODES = ("session", "transaction")


def database_pool_mode(config) -> str:
    """DATABASE_POOL_MODE, checked at start-up: a typo must not leave prepared statements on
    behind PgBouncer (they fail only under load), and transaction pooling is PostgreSQL's."""
    mode = (config.get("DATABASE_POOL_MODE") or "session").strip().lower()
    if mode not in POOL_MODES:
        raise RuntimeError(
            f"DATABASE_POOL_MODE must be session or transaction, got {config['DATABASE_POOL_MODE']!r}"
        )
    url = config.get("SQLALCHEMY_DATABASE_URI") or ""
    if mode == "transaction" and not url.startswith("postgresql"):
        raise RuntimeError(
            "DATABASE_POOL_MODE=transaction is for PostgreSQL behind a transaction pooler "
            "(PgBouncer); DATABASE_URL is not a PostgreSQL address."
        )
    return mode


def config_from_environment() -> Config:
    """The settings named by APP_ENV (development by default)."""
    name = (_env("APP_ENV", "development") or "").lower()
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(f"APP_ENV must be one of {sorted(CONFIGS)}, got {name!r}") from None


def check_production_settings(config) -> None:
    """Refuse to serve real supporters with a guessable key, no database, or debug on."""
    if not config.get("PRODUCTION"):
        return
    secret = config.get("SECRET_KEY") or ""
    if secret == DEV_SECRET_KEY or len(secret) < 32:
        raise RuntimeError("Production needs SECRET_KEY set to a random value of 32+ characters.")
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        raise RuntimeError("Production needs DATABASE_URL (e.g. postgresql+psycopg://...).")
    if not config.get("PUBLIC_URL"):
        raise RuntimeError(
            "Production needs PUBLIC_URL (e.g. https://www.example.org) for email links."
        )
    if not config.get("MAIL_SMTP_HOST"):
        raise RuntimeError("Production needs MAIL_SMTP_HOST: confirmation emails must be sent.")
    if not config.get("RATELIMIT_ENABLED"):
        raise RuntimeError("Production must not switch rate limits off (RATELIMIT_ENABLED=false).")
    if (config.get("RATELIMIT_STORAGE_URI") or "").startswith("memory"):
        raise RuntimeError(
            "Production needs RATELIMIT_STORAGE_URI (e.g. redis://127.0.0.1:6379): with memory:// "
            "every gunicorn worker and machine counts on its own, so each limit multiplies by them."
        )
    test_keys = {
        "DATA_ENCRYPTION_KEY": TEST_DATA_ENCRYPTION_KEY,
        "BLIND_INDEX_KEY": TEST_BLIND_INDEX_KEY,
    }
    for setting, test_key in test_keys.items():
        if test_key in (config.get(setting) or ""):
            raise RuntimeError(
                f"Production must not use the test suite's {setting}; generate one with `flask generate-key`."
            )
    _check_discreet_sender(config)
    token = config.get("METRICS_TOKEN")
    if token is not None and len(token) < 32:
        raise RuntimeError(
            "METRICS_TOKEN must be a random value of 32+ characters (e.g. `openssl rand -hex 32`), "
            "or unset for no /metrics."
        )
    # FLASK_DEBUG would switch on the interactive debugger under `flask run`.
    if config.get("DEBUG") or get_debug_flag():
        raise RuntimeError("Production must not run with debug on.")


def _check_discreet_sender(config) -> None:
    """Discreet emails must not come from the campaign's own sender (docs/security.md)."""
    discreet = parseaddr(config.get("DISCREET_MAIL_SENDER") or "")[1].lower()
    if not discreet:
        raise RuntimeError(
            "Production needs DISCREET_MAIL_SENDER (e.g. Notifications <noreply@mail.example.net>): "
            "emails to supporters in Russia and Belarus must not name the campaign."
        )
    if discreet == parseaddr(config.get("MAIL_SENDER") or "")[1].lower():
        raise RuntimeError(
            "DISCREET_MAIL_SENDER must not be MAIL_SENDER's address, which names the campaign."
        )
