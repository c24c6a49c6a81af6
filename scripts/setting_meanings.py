"""What each setting means: the one place it is written.

scripts/settings_table.py turns these rows into the settings table of docs/configuration.md,
taking the names' plain defaults from campaign_site/config.py itself. A new setting in
config.py fails tests/test_readme.py until it has a row here; then run
`python -m scripts.settings_table --write`. Links in a meaning are relative to docs/.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One line of the table: one setting, or a few that are set together."""

    names: tuple[str, ...]  # as the environment spells them
    meaning: str
    # Written out where config.py computes the default, or says it better in words.
    default: str | None = None
    label: str | None = None  # the first cell, where `A` / `B` would read badly
    read_by: str | None = None  # the file that reads them, when it is not config.py


ROWS: tuple[Row, ...] = (
    Row(
        ("APP_ENV",),
        "`development`, `production` (or `testing`). Production refuses to start without a real `SECRET_KEY`, `DATABASE_URL` and both data keys, or with `FLASK_DEBUG` on.",
    ),
    Row(
        ("DATA_ENCRYPTION_KEY", "DATA_ENCRYPTION_KEY_FILE"),
        "Seals supporters' names, emails and postcodes (AES-256-GCM). One or more keys, current first, separated by commas or new lines. See [Encryption keys](security.md#encryption-keys).",
        default="development: `instance/data-encryption.key`, made once",
        label="`DATA_ENCRYPTION_KEY` (or `DATA_ENCRYPTION_KEY_FILE`)",
    ),
    Row(
        ("BLIND_INDEX_KEY", "BLIND_INDEX_KEY_FILE"),
        "Keys the HMAC-SHA256 that finds a mailbox without storing it. Same form; must differ from the data key.",
        default="development: `instance/blind-index.key`, made once",
        label="`BLIND_INDEX_KEY` (or `BLIND_INDEX_KEY_FILE`)",
    ),
    Row(
        ("SECRET_KEY",),
        'Signs sessions and CSRF tokens. Production: 32+ random characters, e.g. `python3 -c "import secrets; print(secrets.token_urlsafe(48))"`.',
        default="a fixed development key",
    ),
    Row(
        ("DATABASE_URL",),
        "`postgresql+psycopg://user:pass@host:5432/db` for PostgreSQL; `postgres://` URLs are accepted too.",
        default="`sqlite:///campaign.db` (in `instance/`)",
    ),
    Row(
        ("DATABASE_POOL_MODE",),
        "`session`, or `transaction` when `DATABASE_URL` names PgBouncer in `pool_mode = transaction`: psycopg then prepares no statement on the server (they fail under load behind it). Checked at start-up; `transaction` needs PostgreSQL. See [PgBouncer](deploying.md#pgbouncer).",
    ),
    Row(
        ("SIGNATURE_GOAL",),
        "The goal the progress bar counts toward.",
    ),
    Row(
        ("PUBLIC_COUNTRY_MIN",),
        'Countries with fewer confirmed signatures appear on the page, in `/api/count` and in the delivery pack only as "other countries", so no single signer in a dangerous country shows up as a country of their own.',
    ),
    Row(
        ("SHOW_PAPER_SIGNATURES",),
        "`true` shows the paper signatures entered by admins on the public page (a line of its own under the count) and in `/api/count` (`paper`). They are never added to the online count.",
    ),
    Row(
        ("FIRST_SIGNERS_THRESHOLD",),
        "Below this many signatures the page invites visitors to be among the first instead of showing a small number against the goal.",
    ),
    Row(
        ("CONTENT_FILE",),
        "The campaign's words and facts (see [The campaign's content](operating.md#the-campaigns-content)). Shown until organisers publish from /admin/content; while its required entries are empty and nothing is published, the page says \"launching soon\" and takes no signature.",
        default="`content/campaign.toml`",
    ),
    Row(
        ("PUBLIC_URL",),
        "The site's absolute address, for share links and the links in emails. Required in production. Its host is the only `Host` the site answers to (400 for any other), so no redirect or link is built on an attacker's host name.",
    ),
    Row(
        ("TRUSTED_HOSTS",),
        "Further host names the site answers to, comma-separated: e.g. the address a load balancer's health check uses. Development and tests also answer on `127.0.0.1`, `localhost` and `::1`.",
    ),
    Row(
        ("EMBED_ORIGINS",),
        "Partners' sites whose pages may show the signing form (`/embed`) in an iframe, comma-separated origins: `https://partner.example.org`, `https://partner.example.org:8443`. Scheme, host and port only (no path, no wildcard); `http://127.0.0.1:PORT` and `http://localhost:PORT` are accepted outside production. Any other entry stops the start with the entry named. The fixed list: organisers add and remove further sites on the admin's Partners page, checked by the same rule, without a restart. Unset: only the sites added there may frame the embed.",
    ),
    Row(
        ("ONION_URL",),
        "The site's Tor onion service, `http://<56 characters>.onion` as Tor writes it in the service's `hostname` file (see [The Tor onion service](deploying.md#the-tor-onion-service)). Its host is served like `PUBLIC_URL`'s; clearnet public pages name it in `Onion-Location`; `/safety` shows it. Anything else (https, a port or path, a v2 or mistyped address: the checksum is checked) stops the start with the value named.",
    ),
    Row(
        ("EMAIL_CHECK_DELIVERABILITY",),
        "`true` makes the form ask DNS whether the address's domain accepts mail.",
    ),
    Row(
        ("CONFIRMATION_REQUIRED",),
        "Double opt-in: a signature counts once its address is confirmed. `false` counts at once and sends no mail (small events).",
    ),
    Row(
        ("CONFIRMATION_EXPIRY_DAYS",),
        "How long a confirmation link works; unconfirmed signatures are purged after it.",
    ),
    Row(
        ("RESEND_INTERVAL_MINUTES",),
        'Signing again mails the address (its link again, or "already signed") at most this often; so does asking for a fresh withdraw link.',
    ),
    Row(
        ("WITHDRAW_LINK_DAYS",),
        "How long a withdraw link (which erases a signature) works. An expired one offers to email a fresh link to the address it was sent to.",
    ),
    Row(
        ("PETITION_CLOSES_AT", "CAMPAIGN_CLOSES_AT"),
        'ISO 8601 time (UTC if no zone) when the petition closes: from then on every public page and the embed say "closed on DATE with N signatures" (with the answer and the next step from the content file), signing answers 410 and `/api/count` says `"closed": true`. `CAMPAIGN_CLOSES_AT` is its old name: the site refuses to start while it is set.',
        label="`PETITION_CLOSES_AT`",
    ),
    Row(
        ("CLOSING_GRACE_DAYS",),
        "Days after the close during which confirmation links mailed before it still count a signature; after them the link shows a polite closed page.",
    ),
    Row(
        ("RETENTION_DAYS_AFTER_CLOSE",),
        "Days after closing before `anonymise-signatures` may erase personal data.",
    ),
    Row(
        ("MAIL_SMTP_HOST",),
        "SMTP server. Unset: emails are written to `instance/outbox/*.eml` and their links printed. Required in production.",
    ),
    Row(
        ("MAIL_OUTBOX_DIR",),
        "Where emails are written as `.eml` files while `MAIL_SMTP_HOST` is unset.",
        default="`instance/outbox/`",
    ),
    Row(
        ("MAIL_SMTP_PORT", "MAIL_SMTP_STARTTLS", "MAIL_SMTP_SSL"),
        "Connection: STARTTLS on 587, or implicit TLS (`MAIL_SMTP_SSL=true`, usually port 465).",
    ),
    Row(
        ("MAIL_SMTP_USER", "MAIL_SMTP_PASSWORD"),
        "SMTP login, if the server wants one.",
    ),
    Row(
        ("MAIL_SMTP_TIMEOUT",),
        "Seconds to wait on the SMTP server before a try counts as failed (and is retried).",
    ),
    Row(
        ("MAIL_SENDER",),
        "The From address; it is shown under the campaign's name in the supporter's language.",
    ),
    Row(
        ("MAIL_RISKY_DOMAINS",),
        "Mail domains under Russian or Belarusian law beyond the shipped list (`petition/mail_risk.py`), comma-separated; subdomains count too. Signers with such an address are warned, and get only discreet mail ([Discreet mail](security.md#discreet-mail)).",
    ),
    Row(
        ("MAIL_RISKY_MX",),
        "Mail server (MX) host suffixes beyond the shipped ones (yandex.net, mail.ru, ...), comma-separated: an address whose domain's MX is under one gets only discreet mail, decided by the mail worker.",
    ),
    Row(
        ("DNS_NAMESERVERS",),
        "DNS servers for the mail worker's MX lookups, by IP address: `host[:port]` (IPv6 as `[addr]:port`), comma-separated.",
        default="unset: the system's resolvers",
    ),
    Row(
        ("DNS_TIMEOUT_SECONDS",),
        "How long one MX lookup may take; one that fails or times out leaves the mail ordinary and sends it.",
    ),
    Row(
        ("DISCREET_MAIL_SENDER",),
        "The neutral From (name and address) of discreet mail. Required in production, and must not be `MAIL_SENDER`'s address.",
        default="development: `Notifications <noreply@localhost>`",
    ),
    Row(
        ("DISCREET_LINK_URL",),
        "A neutral address of this same site (e.g. `https://notes.example.net`) for the links in discreet mail; its host is then trusted too.",
        default="unset: `PUBLIC_URL`",
    ),
    Row(
        ("CONFIRMATION_REMINDER_HOURS",),
        "A signature still pending this many hours after signing, its link not yet expired, gets one reminder to confirm from the mail worker (`0`: at once; `off`: never). Never to a mailbox that bounced or complained ([Operating](operating.md)).",
    ),
    Row(
        ("MAIL_BOUNCE_ADDRESS",),
        "The mailbox bounces and complaints go to, e.g. `bounces@example.org`: every message is sent with the return path `bounces+TOKEN@example.org` (discreet mail: `TOKEN` after a `+` on `DISCREET_MAIL_SENDER`'s address), read back by `flask mail-bounces` ([Operating](operating.md)).",
        default="unset: no VERP, bounces go to the sender",
    ),
    Row(
        ("RATELIMIT_STORAGE_URI",),
        "Where rate-limit counts and admin lockouts live. Production refuses to start with `memory://` (each worker would count alone: 5 workers let 5 times each limit through); use `redis://host:6379`.",
    ),
    Row(
        ("RATELIMIT_KEY_PREFIX",),
        "Prefix of the rate-limit keys in Redis, for a Redis shared with other sites.",
    ),
    Row(
        ("SIGN_RATE_LIMIT",),
        "Valid signatures per client address (failed forms do not count; fixed windows, all counted in one Redis round trip): the ceiling for scripted floods (a 429 with `Retry-After`; the form comes back with what was typed). See [Sizing the limits for an event](operating.md#sizing-the-limits-for-an-event).",
    ),
    Row(
        ("EVENT_SIGN_RATE_LIMIT",),
        "The per-address ceiling instead of `SIGN_RATE_LIMIT` for forms carrying the code of an event that is not deleted and whose date is within one day of today (UTC): a full hall signing through the poster's link shares one Wi-Fi address. The same counts, a higher ceiling; beyond `SIGN_REVIEW_THRESHOLD` its signatures are still marked `busy_address`.",
    ),
    Row(
        ("SIGN_INVALID_RATE_LIMIT",),
        "Submissions that fail validation, per client address, counted apart: a typo never uses up anyone's signing allowance, and junk still cannot flood.",
    ),
    Row(
        ("SIGN_REVIEW_THRESHOLD",),
        "Beyond this many from one address, signatures are still stored and counted but marked `busy_address` for review.",
    ),
    Row(
        ("LOGIN_RATE_LIMIT_PER_IP", "LOGIN_RATE_LIMIT_PER_ACCOUNT"),
        "Admin login attempts.",
        label="`LOGIN_RATE_LIMIT_PER_IP` / `_PER_ACCOUNT`",
    ),
    Row(
        ("LINK_RATE_LIMIT",),
        "Opening confirm/withdraw/unsubscribe links, per IP.",
    ),
    Row(
        ("ORGANISATION_APPLY_RATE_LIMIT",),
        "Organisations' applications (/organisations/apply) per IP, valid or not.",
    ),
    Row(
        ("RATELIMIT_ENABLED",),
        "Switch all limits off (tests do; production refuses to start without them).",
    ),
    Row(
        ("TRUSTED_PROXIES",),
        "How many reverse proxies in front may set `X-Forwarded-For`/`-Proto`. Behind one nginx: `1`. Never more than you really have, or clients can fake their address. At `0` gunicorn believes no forwarded scheme either (its `forwarded_allow_ips` is emptied; above `0` it trusts `FORWARDED_ALLOW_IPS`, default `127.0.0.1`).",
    ),
    Row(
        ("PUBLIC_CACHE_SECONDS",),
        "How long each process keeps a rendered public page (and the count) in memory and answers repeats of it without entering Flask.",
    ),
    Row(
        ("PUBLIC_CACHE_MAX_AGE",),
        "`Cache-Control: max-age` of the public pages: how long a browser may reuse its copy without asking (short, so a supporter who comes back after confirming sees their signature).",
    ),
    Row(
        ("PUBLIC_CACHE_S_MAXAGE",),
        "`s-maxage`: how long a shared cache (a CDN) may keep a public page. A page's count is at most about this old; `site.js` asks `/api/count` for the live one.",
    ),
    Row(
        ("SIGNING_MIN_SECONDS",),
        "A form sent back faster than this (phone autofill does it in a second) is stored and marked `too_fast` for review, never dropped.",
    ),
    Row(
        ("SIGNING_PAUSED",),
        "Emergency switch: the page shows a notice instead of the form. Admins can also pause from the dashboard.",
    ),
    Row(
        ("MAINTENANCE_MODE",),
        "While the database is moved: every write answers 503 with a polite page, reads keep serving ([Moving from SQLite to PostgreSQL](backups.md#moving-from-sqlite-to-postgresql)).",
    ),
    Row(
        ("BACKUP_MAX_AGE_HOURS",),
        "`/healthz` details and the dashboard warn when the last `backup create` is older.",
    ),
    Row(
        ("ERASURE_LEDGER_DIR",),
        "The [erasure ledger](backups.md#the-erasure-ledger): every withdrawal and erasure is appended to `<hostname>.jsonl` here and fsynced before it is committed, so `backup restore` erases those supporters again. No personal data. Production refuses to start if it cannot write here; a withdrawal that cannot be written down is refused politely, and nothing is erased.",
        default="`instance/erasures/`",
    ),
    Row(
        ("ADMIN_IDLE_MINUTES",),
        "Admin sessions end after this much inactivity.",
    ),
    Row(
        ("ADMIN_TOTP_REQUIRED",),
        "A TOTP code (or a recovery code) after the password at every admin login. Only tests of other features switch it off.",
    ),
    Row(
        ("ADMIN_REAUTH_MINUTES",),
        "Exports and searches of personal data ask for the password and a fresh code again when the last time is older.",
    ),
    Row(
        ("EXPORT_APPROVAL_REQUIRED",),
        "Every export of personal data waits for a second owner's approval (environment only; see [Nobody exports in silence](operating.md#nobody-exports-in-silence)).",
    ),
    Row(
        ("ADMIN_MAX_FAILED_LOGINS", "ADMIN_LOCK_MINUTES"),
        "Wrong passwords from one address (IPv6: one /64) within the window before the account locks *for that address*, and the window.",
    ),
    Row(
        ("ADMIN_ACCOUNT_MAX_FAILED_LOGINS",),
        "Wrong passwords for one account from all addresses within the window before it locks for every browser except the admin's known devices.",
    ),
    Row(
        ("ADMIN_DEVICE_DAYS",),
        "How long a browser stays a known device after a successful login (a signed, `HttpOnly`, `SameSite=Strict` cookie on `/admin`).",
    ),
    Row(
        ("MAIL_MAX_ATTEMPTS",),
        "Tries (with exponential backoff from 1 minute up to 6 hours) before a message is given up.",
    ),
    Row(
        ("MAIL_MAX_BUILD_ATTEMPTS",),
        "Tries for a message that fails to be built or encoded (bad data or a bug, not the network) before it is given up.",
    ),
    Row(
        ("NETWORK_HASH_RETENTION_DAYS",),
        "Days a signature keeps the hash of its client's network ([Fraud handling](fraud.md)).",
    ),
    Row(
        ("TRENDING_NETWORK_PER_HOUR",),
        "Signatures an hour from one /24 or /48 before the dashboard flags it.",
    ),
    Row(
        ("TRENDING_DOMAIN_PER_HOUR",),
        "Different mailboxes an hour at one non-webmail domain before it is flagged as a catch-all pattern.",
    ),
    Row(
        ("MAIL_RATE_PER_MINUTE",),
        "Campaign updates sent per minute, all mail workers together (confirmation and other transactional mail is never held back by it). Ask your mail provider what it allows.",
    ),
    Row(
        ("MAIL_SMTPUTF8",),
        "`true` accepts addresses with non-ASCII letters before the `@` (`иван@пример.рф`) and sends them with SMTPUTF8; only if your mail server offers it. Off, the form asks for another address. Internationalised domains (`ivan@пример.рф`) work either way: they are sent IDNA-encoded.",
    ),
    Row(
        ("METRICS_TOKEN",),
        "`/metrics` for Prometheus answers only `Authorization: Bearer` this token (32+ random characters, e.g. `openssl rand -hex 32`); unset, there is no `/metrics` (404). See [Metrics and alerts](deploying.md#metrics-and-alerts).",
    ),
    Row(
        ("LOG_FORMAT",),
        "`json`: one JSON object per log line (the app's log and gunicorn's access and error logs), link tokens still replaced by `[token]`; `text` otherwise.",
    ),
    Row(
        ("PROMETHEUS_MULTIPROC_DIR",),
        "Where gunicorn's workers write their metric counts for `/metrics` to add up; emptied (its `*.db` files) when gunicorn starts. Unset: a fresh private folder in the system's temporary folder, removed when gunicorn stops.",
        default="a new folder under `/tmp`",
        read_by="gunicorn.conf.py",
    ),
    Row(
        ("PORT",),
        "Port for `make run`.",
        default="`5000`",
        read_by="Makefile",
    ),
    Row(
        ("TEST_POSTGRES_URL",),
        "Server the tests create their throwaway databases on.",
        default="`postgresql+psycopg://127.0.0.1:5432/test`",
        read_by="tests/conftest.py",
    ),
    Row(
        ("TEST_REDIS_URL",),
        "Redis for the shared rate-limit test (required when `CI=true`).",
        default="`redis://127.0.0.1:6379`",
        read_by="tests/conftest.py",
    ),
)
