"""DNS for the checks, through dnspython: each lookup has a time limit, and answers are
kept in memory for their TTL (the worker asks again at most that often). NXDOMAIN and
"no such record" are answers too; a timeout or SERVFAIL is not, and is not kept.

DMARC: `_dmarc.<domain>` TXT, the one record starting `v=DMARC1` (RFC 7489 6.6.3); its
`p=` (or `sp=` for a subdomain of the organisation's domain) must be none, quarantine or
reject, anything else is malformed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import dns.exception
import dns.resolver

from app.core.config import get_settings
from app.signatures.verification.models import Dmarc

MIN_TTL, MAX_TTL = 30, 3600
_cache: dict[tuple[str, str, str], tuple[float, tuple[str, ...]]] = {}
_lock = threading.Lock()


class LookupFailed(Exception):
    """The DNS did not answer (timeout, SERVFAIL, refused): try again later."""


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def resolver() -> dns.resolver.Resolver:
    settings = get_settings()
    if settings.verification_resolver:
        host, _colon, port = settings.verification_resolver.rpartition(":")
        made = dns.resolver.Resolver(configure=False)
        made.nameservers = [host]
        made.port = int(port)
    else:
        made = dns.resolver.Resolver()
    made.lifetime = settings.verification_dns_timeout
    made.timeout = settings.verification_dns_timeout
    return made


def lookup(name: str, rdtype: str) -> tuple[str, ...]:
    """The records of one type at `name` as text (TXT strings joined), () when none."""
    server = get_settings().verification_resolver
    key = (server, name.lower().rstrip("."), rdtype)
    now = time.monotonic()
    with _lock:
        kept = _cache.get(key)
    if kept and kept[0] > now:
        return kept[1]
    try:
        answer = resolver().resolve(key[1] + ".", rdtype, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        records: tuple[str, ...] = ()
        ttl = MIN_TTL
    except (dns.exception.DNSException, OSError, ValueError) as exc:
        raise LookupFailed(type(exc).__name__) from exc
    else:
        rrset = answer.rrset
        ttl = rrset.ttl if rrset is not None else MIN_TTL
        records = tuple(_text(r, rdtype) for r in rrset) if rrset is not None else ()
    with _lock:
        _cache[key] = (now + min(max(ttl, MIN_TTL), MAX_TTL), records)
    return records


def _text(record: object, rdtype: str) -> str:
    if rdtype == "TXT":
        strings: list[bytes] = getattr(record, "strings", [])
        return b"".join(strings).decode("utf-8", errors="replace")
    return str(getattr(record, "address", record))


def addresses(host: str) -> tuple[str, ...]:
    """Every IPv4 and IPv6 address `host` resolves to."""
    return lookup(host, "A") + lookup(host, "AAAA")


@dataclass(frozen=True)
class DmarcResult:
    policy: Dmarc
    domain: str  # where the record was found (or last looked for)


def dmarc(email_domain: str, site: str) -> DmarcResult:
    """The policy protecting mail from `email_domain` (on `site` or a subdomain of it):
    the domain's own record, or the organisation's (`site`) with its `sp=`."""
    own = _dmarc_record(email_domain)
    if own is not None or email_domain == site:
        return DmarcResult(parse_dmarc(own, subdomain=False), email_domain)
    return DmarcResult(parse_dmarc(_dmarc_record(site), subdomain=True), site)


def _dmarc_record(domain: str) -> list[str] | None:
    records = [r for r in lookup(f"_dmarc.{domain}", "TXT") if _is_dmarc(r)]
    return records or None


def _is_dmarc(record: str) -> bool:
    return record.strip().lower().replace(" ", "").startswith("v=dmarc1")


def parse_dmarc(records: list[str] | None, *, subdomain: bool) -> Dmarc:
    if not records:
        return Dmarc.MISSING
    if len(records) > 1:
        return Dmarc.MALFORMED  # RFC 7489: several records mean none applies
    tags: dict[str, str] = {}
    for part in records[0].split(";"):
        if not part.strip():
            continue
        name, equals, value = part.partition("=")
        if not equals:
            return Dmarc.MALFORMED
        tags[name.strip().lower()] = value.strip().lower()
    if tags.get("v") != "dmarc1" or "p" not in tags:
        return Dmarc.MALFORMED
    policy = tags["sp"] if subdomain and "sp" in tags else tags["p"]
    try:
        found = Dmarc(policy)
    except ValueError:
        return Dmarc.MALFORMED
    if found not in (Dmarc.NONE, Dmarc.QUARANTINE, Dmarc.REJECT):
        return Dmarc.MALFORMED
    return found
