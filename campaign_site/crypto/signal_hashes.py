"""Fraud signals without the data: keyed hashes of a signer's network (IPv4 /24, IPv6 /48)
and of their email's domain, made with the blind index key family, so organisers can see
that many signatures share one and undo them, while the database holds no address.

A hash is  key id (4) | HMAC-SHA256 of "network:<prefix>" or "domain:<domain>". Matching
tries every configured key: a network hash stays under the key it was made with until
NETWORK_HASH_RETENTION_DAYS erase it; `rotate-keys` re-makes domain hashes from the
sealed addresses.
"""

import hashlib
import hmac
import ipaddress

from campaign_site.crypto.keyrings import Keyring, blind_keyring
from campaign_site.crypto.mailbox_index import mailbox_key

IPV4_PREFIX = 24  # one street's or office's NAT, not one person
IPV6_PREFIX = 48  # one site's allocation
MAX_NETWORKS = 1024  # a shorter prefix is matched /24 (or /48) by /24: at most this many


class BadNetwork(ValueError):
    """What the organiser typed is not an address or CIDR the site can match (the message
    says why, for them)."""


def reference(hashed: bytes) -> str:
    """A short, stable name for a hash in the audit log and on the page (no value in it)."""
    return hashed[4:10].hex()


def network_of(address: str | None) -> str | None:
    """The /24 or /48 an address belongs to, as text; None for no or a malformed address."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:203.0.113.7 is an IPv4 client
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def domain_of(email: str) -> str:
    """The domain of an address, as the mailbox key spells it (case folded, gmail.com), in
    Unicode as the form stores it: a typed xn--... domain means the same one."""
    domain = mailbox_key(email).rpartition("@")[2]
    if "xn--" in domain:
        try:
            domain = domain.encode("ascii").decode("idna")
        except UnicodeError:
            pass
    return domain


def _hash(kind: str, value: str, key: bytes, kid: bytes) -> bytes:
    return kid + hmac.digest(key, f"{kind}:{value}".encode(), hashlib.sha256)


def network_hash(address: str | None, keyring: Keyring | None = None) -> bytes | None:
    """The current key's hash of an address's network (None without a usable address)."""
    network = network_of(address)
    if network is None:
        return None
    keyring = keyring or blind_keyring()
    return _hash("network", network, keyring.current, keyring.current_id)


def domain_hash(email: str, keyring: Keyring | None = None) -> bytes:
    """The current key's hash of an address's domain."""
    keyring = keyring or blind_keyring()
    return _hash("domain", domain_of(email), keyring.current, keyring.current_id)


def domain_hashes(domain: str, keyring: Keyring | None = None) -> list[bytes]:
    """A domain's hash under every configured key (older rows may use any)."""
    keyring = keyring or blind_keyring()
    value = domain_of(f"x@{domain.strip().lstrip('@')}")
    return [_hash("domain", value, key, kid) for kid, key in keyring.by_id.items()]


def network_hashes(cidr: str, keyring: Keyring | None = None) -> list[bytes]:
    """The hashes of every stored-size network inside an address or CIDR, under every key.

    Raises BadNetwork for what is not one, or a prefix longer than the stored one (the
    site cannot tell a /28 from the rest of its /24), or one too wide to list.
    """
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        raise BadNetwork(
            "That is not an IP address or a network in CIDR form (e.g. 203.0.113.0/24)."
        ) from None
    if network.version == 6 and network.network_address.ipv4_mapped and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        network = ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}", strict=False)
    stored = IPV4_PREFIX if network.version == 4 else IPV6_PREFIX
    if network.prefixlen == network.max_prefixlen:  # one address: its stored network
        network = network.supernet(new_prefix=stored)
    if network.prefixlen > stored:
        raise BadNetwork(
            f"The site keeps only /{stored} networks: enter /{stored} or a shorter prefix."
        )
    if 2 ** (stored - network.prefixlen) > MAX_NETWORKS:
        shortest = stored - MAX_NETWORKS.bit_length() + 1
        raise BadNetwork(f"That network is too wide to match: use /{shortest} or longer.")
    keyring = keyring or blind_keyring()
    return [
        _hash("network", str(part), key, kid)
        for part in network.subnets(new_prefix=stored)
        for kid, key in keyring.by_id.items()
    ]
