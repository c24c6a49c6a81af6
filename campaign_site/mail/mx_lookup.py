"""Whether a domain's mail servers are run by a provider under Russian or Belarusian law
(petition/mail_risk.py's MX list), asked of DNS by the mail worker just before it writes
to an address, never while a supporter waits on the signing page.

A lookup takes at most DNS_TIMEOUT_SECONDS; one that fails or times out counts as "not
risky": the mail goes out as it would have. Answers are kept in a cache of fixed size
with a time to live, so neither memory nor DNS traffic grows with the addresses signed.
"""

import threading
import time
from collections import OrderedDict

import dns.exception
import dns.name
import dns.resolver
from dns.nameserver import Do53Nameserver
from flask import current_app

from campaign_site.petition import mail_risk

CACHE_SIZE = 2048  # domains; the least recently used goes first
ANSWER_SECONDS = 3600  # how long an answer (risky or not) is trusted
FAILURE_SECONDS = 300  # a failed lookup is not retried for each message meanwhile


class BoundedCache:
    """A least-recently-used cache with a fixed number of entries, each with an expiry."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[object, tuple[float, bool]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object) -> bool | None:
        """The value kept for key, or None if there is none or it has expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < time.monotonic():
                self._entries.pop(key, None)
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: object, value: bool, seconds: float) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


CACHE = BoundedCache(CACHE_SIZE)


def risky_mail_servers(domain: str) -> bool:
    """True when an MX of domain is under MAIL_RISKY_MX (or the shipped list); False when
    not, when the lookup fails, and when there is no DNS server to ask."""
    nameservers = tuple(current_app.config["DNS_NAMESERVERS"])
    if not domain or not (nameservers or current_app.config["DNS_SYSTEM_RESOLVER"]):
        return False
    key = (nameservers, domain.lower())
    cached = CACHE.get(key)
    if cached is not None:
        return cached
    hosts = _mx_hosts(domain, nameservers)
    risky = hosts is not None and mail_risk.risky_mail_servers(hosts)
    CACHE.put(key, risky, ANSWER_SECONDS if hosts is not None else FAILURE_SECONDS)
    return risky


def _mx_hosts(domain: str, nameservers: tuple[str, ...]) -> list[str] | None:
    """The domain's MX host names ([] when it has none), or None when DNS did not answer."""
    try:
        answer = _resolver(nameservers).resolve(
            dns.name.from_text(domain), "MX", raise_on_no_answer=False
        )
    except (dns.resolver.NXDOMAIN, dns.resolver.NoNameservers):
        return []  # no such domain, or its servers refuse: nothing to judge by
    except (dns.exception.DNSException, OSError, ValueError) as error:
        current_app.logger.warning("MX lookup failed, mail goes out as usual: %s", error)
        return None
    return [record.exchange.to_text() for record in answer] if answer.rrset else []


def _resolver(nameservers: tuple[str, ...]) -> dns.resolver.Resolver:
    """A resolver asking DNS_NAMESERVERS (host or host:port each), else the system's."""
    timeout = current_app.config["DNS_TIMEOUT_SECONDS"]
    resolver = dns.resolver.Resolver(configure=not nameservers)
    if nameservers:
        resolver.nameservers = [Do53Nameserver(*_address(entry)) for entry in nameservers]
    resolver.timeout = resolver.lifetime = timeout
    resolver.cache = None  # ours is bounded
    return resolver


def _address(entry: str) -> tuple[str, int]:
    """host, host:port, [v6] or [v6]:port as (host, port)."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest.removeprefix(":")
    elif entry.count(":") == 1:
        host, _, port = entry.partition(":")
    else:
        host, port = entry, ""
    return host, int(port) if port else 53
