"""Rate limits, all in one table: which route (signing, email links, admin login), which
setting, counted per what; the signing ceiling, the busy-address mark and login lockout.

Each app gets its own Flask-Limiter, storing counts where RATELIMIT_STORAGE_URI says:
memory for one process (`make run`), Redis when several gunicorn workers or machines
must share one count. Over a limit the answer is a 429 page with Retry-After.

If Redis stops answering, signing and the email links go on under per-process limits
(Flask-Limiter's in-memory fallback) until it is back; admin login fails closed instead,
since its guesses could no longer be counted across workers (admin/views.py).
"""

import hashlib
import hmac
import ipaddress
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItemPerSecond, parse, parse_many
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from campaign_site.text import normalize_admin_email

# A Redis that does not answer must cost a request half a second at most, not a minute.
REDIS_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def account_key(typed: str, secret: str) -> str:
    """What the counters call an account: a keyed hash of the typed address, so Redis key
    names never hold what someone typed (a sentence, a password in the wrong field)."""
    normalized = normalize_admin_email(typed).encode()
    return hmac.new(secret.encode(), b"admin-login:" + normalized, hashlib.sha256).hexdigest()[:32]


def _login_account_and_source() -> str:
    """The account being tried from this address: a guesser elsewhere never locks out its owner."""
    account = account_key(request.form.get("email", ""), current_app.config["SECRET_KEY"])
    return f"account:{account}|{source_block(get_remote_address())}"


# (endpoint, setting holding the limit, extra options). Signing is counted in its view
# instead (SigningCounters): only valid forms use up the allowance, and failed ones have a
# limit of their own (invalid_form_allowed), so junk never blocks a valid signature.
LIMITS = [
    ("links.confirm", "LINK_RATE_LIMIT", {}),
    ("links.withdraw", "LINK_RATE_LIMIT", {}),
    ("links.withdraw_confirmed", "LINK_RATE_LIMIT", {}),
    ("links.renew_withdraw_link", "LINK_RATE_LIMIT", {}),
    ("links.unsubscribe", "LINK_RATE_LIMIT", {}),
    ("links.organisation_confirm", "LINK_RATE_LIMIT", {}),
    ("links.organisation_withdraw", "LINK_RATE_LIMIT", {}),
    ("links.organisation_withdraw_confirmed", "LINK_RATE_LIMIT", {}),
    # Every application counts, valid or not: each valid one mails its contact.
    ("public.organisation_apply", "ORGANISATION_APPLY_RATE_LIMIT", {}),
    ("admin.login", "LOGIN_RATE_LIMIT_PER_IP", {"methods": ["POST"]}),
    (
        "admin.login",
        "LOGIN_RATE_LIMIT_PER_ACCOUNT",
        {
            "methods": ["POST"],
            "key_func": _login_account_and_source,
            "scope": "admin-login-account",
        },
    ),
]


def register(app: Flask) -> None:
    """Give the app its limiter and wrap the limited views."""
    uri = app.config["RATELIMIT_STORAGE_URI"]
    limiter = Limiter(
        get_remote_address,
        app=app,
        in_memory_fallback_enabled=True,
        storage_options=REDIS_TIMEOUTS if uri.startswith(("redis", "rediss")) else {},
    )
    limited = {endpoint for endpoint, _, _ in LIMITS}
    limiter.request_filter(lambda: request.endpoint not in limited)
    unhook_request_check(app, limiter)
    # Flask-Limiter keeps only weak references to itself; the app must hold it.
    app.extensions["campaign_site.limiter"] = limiter
    for endpoint, setting, options in LIMITS:
        # The setting is read once: a fixed string is parsed once, a callable on every request.
        limit = limiter.limit(app.config[setting], **options)
        app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    storage = limiter.storage if app.config["RATELIMIT_ENABLED"] else MemoryStorage()
    app.extensions["campaign_site.login_lockout"] = LoginLockout(storage, app.config)
    app.extensions["campaign_site.signing_counters"] = SigningCounters(storage, app.config)
    window = MovingWindowRateLimiter(storage)
    app.extensions["campaign_site.invalid_forms"] = (
        window,
        parse_many(app.config["SIGN_INVALID_RATE_LIMIT"]),
    )


def unhook_request_check(app: Flask, limiter: Limiter) -> None:
    """Remove the limiter's before-request hook (a seam for speed; benchmarks/RESULTS.md).

    Every limit here is on a view, and the wrapped view checks it itself; the hook only
    serves default and blueprint limits, which we don't use, yet it cost a noticeable share
    of every page view (benchmarks/RESULTS.md). It leans on a private name of Flask-Limiter: tests/test_seams.py fails if the hook
    is ever found under another name and left in place.
    """
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks:  # absent when RATELIMIT_ENABLED is off
        hooks.remove(limiter._check_request_limit)


def _limiter() -> Limiter:
    return current_app.extensions["campaign_site.limiter"]


# Each window's key: created at 0 with its expiry if new, then counted; the counts come back.
COUNT_WINDOWS = """
local counts = {}
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[i], 'NX')
  counts[i] = redis.call('INCR', key)
end
return counts
"""


class SigningCounters:
    """Fixed-window counts of valid signatures per client address: the ceiling
    (SIGN_RATE_LIMIT) and the review threshold (SIGN_REVIEW_THRESHOLD).

    Every window is counted in one Redis round trip (a Lua script doing SET NX EX and INCR
    per window), as these are checked on every signature. While Redis does not answer, each
    process counts alone for a few seconds before trying it again, as Flask-Limiter does.
    """

    RETRY_STORE_AFTER = 5.0  # seconds

    def __init__(self, storage: Storage, config) -> None:
        self.storage = storage
        self.enabled = config["RATELIMIT_ENABLED"]
        self.ceilings = parse_many(config["SIGN_RATE_LIMIT"])
        self.event_ceilings = parse_many(config["EVENT_SIGN_RATE_LIMIT"])
        self.review = parse(config["SIGN_REVIEW_THRESHOLD"])
        self.prefix = config["RATELIMIT_KEY_PREFIX"] or "campaign_site"
        self.fallback = MemoryStorage()
        self.store_down_until = 0.0
        self.script = None
        self.script_storage: Storage | None = None

    def count(self, address: str, event: bool = False) -> tuple[int | None, bool]:
        """Count a signature from address: (seconds to wait when over the ceiling, else
        None; whether the address is busy enough to mark it for review). event: the form
        carries the code of an event on now, whose hall shares one address, so the ceiling
        is EVENT_SIGN_RATE_LIMIT (the same counts, a higher ceiling; the review mark as ever)."""
        if not self.enabled:
            return None, False
        now = time.time()
        ceilings = self.event_ceilings if event else self.ceilings
        windows = [*ceilings, self.review]
        keys = [(self._key(address, window, now), window.get_expiry()) for window in windows]
        counts = self._increment(keys, now)
        # counts holds one more, the review window's, at the end.
        over = [window for window, n in zip(ceilings, counts, strict=False) if n > window.amount]
        wait = max(int(w.get_expiry() - now % w.get_expiry()) + 1 for w in over) if over else None
        return wait, counts[-1] > self.review.amount

    def _key(self, address: str, window, now: float) -> str:
        seconds = window.get_expiry()
        return f"{self.prefix}/signatures/{address}/{seconds}/{int(now // seconds)}"

    def _increment(self, keys: list[tuple[str, int]], now: float) -> list[int]:
        if now >= self.store_down_until:
            try:
                return self._increment_in(self.storage, keys)
            except Exception as error:  # noqa: BLE001 - any store failure: count per process
                self.store_down_until = now + self.RETRY_STORE_AFTER
                current_app.logger.warning(
                    "signing limits: the rate-limit store does not answer (%s); "
                    "falling back to in-memory storage",
                    type(error).__name__,
                )
        return self._increment_in(self.fallback, keys)

    def _increment_in(self, storage: Storage, keys: list[tuple[str, int]]) -> list[int]:
        if isinstance(storage, RedisStorage):
            script = self._count_script(storage)
            counts = script(keys=[key for key, _ in keys], args=[seconds for _, seconds in keys])
            return [int(count) for count in counts]
        return [storage.incr(key, seconds) for key, seconds in keys]

    def _count_script(self, storage: RedisStorage):
        """One EVALSHA for every window: a quarter of the pipeline's commands and replies
        to build and parse on each signature (benchmarks/RESULTS.md)."""
        if self.script is None or self.script_storage is not storage:
            self.script = storage.get_connection().register_script(COUNT_WINDOWS)
            self.script_storage = storage
        return self.script


def count_signature(event: bool = False) -> tuple[int | None, bool]:
    """SigningCounters.count for this request's client address."""
    counters = current_app.extensions["campaign_site.signing_counters"]
    return counters.count(get_remote_address(), event)


def invalid_form_allowed() -> int | None:
    """Count a form that failed validation; None while under SIGN_INVALID_RATE_LIMIT, else the
    seconds until the fullest window frees up. Checked for failed forms only: a valid
    signature from the same address is never refused because of them."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return None
    window, limits = current_app.extensions["campaign_site.invalid_forms"]
    keys = (
        current_app.config["RATELIMIT_KEY_PREFIX"] or "campaign_site",
        "sign-invalid",
        get_remote_address(),
    )
    try:
        over = [limit for limit in limits if not window.hit(limit, *keys)]
    except Exception:  # noqa: BLE001 - the store is down: answer the form, uncounted
        return None
    return max(limit.get_expiry() for limit in over) if over else None


def store_reachable() -> bool:
    """Whether the shared count store answers now (memory:// always does)."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return True
    try:
        return bool(_limiter().storage.check())
    except Exception:  # noqa: BLE001 - any failure to answer is "unreachable"
        return False


class LoginLockout:
    """Wrong passwords counted as OWASP advises, so guessing is slow and owners keep access.

    Per account and source address: ADMIN_MAX_FAILED_LOGINS wrong passwords lock that
    account for that address for ADMIN_LOCK_MINUTES (a moving window); a guesser elsewhere
    never locks the owner out. Per account alone: ADMIN_ACCOUNT_MAX_FAILED_LOGINS in the
    same window (guesses spread over many addresses) lock the account for every browser
    except the admin's known devices (a signed cookie set at each successful login).
    IPv6 sources count per /64, the block one machine usually holds.
    """

    def __init__(self, storage: Storage, config) -> None:
        self.window = MovingWindowRateLimiter(storage)
        seconds = max(1, round(config["ADMIN_LOCK_MINUTES"] * 60))
        self.per_source = RateLimitItemPerSecond(config["ADMIN_MAX_FAILED_LOGINS"], seconds)
        self.per_account = RateLimitItemPerSecond(
            config["ADMIN_ACCOUNT_MAX_FAILED_LOGINS"], seconds
        )
        self.prefix = config["RATELIMIT_KEY_PREFIX"] or "campaign_site"
        self.secret = config["SECRET_KEY"]

    def _keys(self, account: str, source: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        account = account_key(account, self.secret)
        by_source = (self.prefix, "admin-login-failures", account, source_block(source))
        return by_source, (self.prefix, "admin-login-failures-all", account)

    def locked(self, account: str, source: str, known_device: bool) -> bool:
        by_source, by_account = self._keys(account, source)
        if not self.window.test(self.per_source, *by_source):
            return True
        return not known_device and not self.window.test(self.per_account, *by_account)

    def record_failure(self, account: str, source: str) -> None:
        by_source, by_account = self._keys(account, source)
        self.window.hit(self.per_source, *by_source)
        self.window.hit(self.per_account, *by_account)

    def clear(self, account: str, source: str) -> None:
        self.window.clear(self.per_source, *self._keys(account, source)[0])


def source_block(address: str) -> str:
    """The client address as counted: IPv4 whole, IPv6 by its /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def login_lockout() -> LoginLockout:
    """The app's lockout, sharing the rate limits' store."""
    return current_app.extensions["campaign_site.login_lockout"]
