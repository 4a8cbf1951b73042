"""The checks, run by the worker (`check_due`, a periodic job), never by a request: DMARC
for the signer's mail domain, then the code in a DNS TXT record or a /.well-known/ file.
Network work comes first, with nothing written; the results are written together after,
so a slow DNS server or website never holds a database lock."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.core.i18n import N_
from app.signatures.models import Signature, SignatureStatus
from app.signatures.verification import fetch, lookups
from app.signatures.verification.models import RANK, Dmarc, Level, OrgVerification

log = logging.getLogger(__name__)

BATCH = 10  # checks per run: each may wait for a DNS server and a website
RECHECK = timedelta(hours=1)  # the code is looked for again this often, `checks_left` times
TXT_PREFIX = "undersigned-verification="
WELL_KNOWN = "/.well-known/undersigned-verification.txt"
CONFIRMED = (SignatureStatus.CONFIRMED, SignatureStatus.APPROVED)

SPOOFABLE = N_("This domain can be spoofed: it publishes no DMARC policy that stops forged mail.")
REASONS = {
    Dmarc.MISSING: SPOOFABLE,
    Dmarc.NONE: SPOOFABLE,
    Dmarc.MALFORMED: N_("This domain's DMARC record is malformed, so it can be spoofed."),
    Dmarc.UNREACHABLE: N_("The domain's DNS did not answer; it will be checked again."),
}
OFF_DOMAIN = N_("The email address is not on the organisation's website domain.")
NO_SITE = N_("The organisation gave no website, so its domain cannot be checked.")
UNCONFIRMED = N_("The email address is not confirmed yet.")


@dataclass(frozen=True)
class Result:
    level: Level
    dmarc: Dmarc
    reason: str


def on_domain(email_domain: str, site: str) -> bool:
    return bool(site) and (email_domain == site or email_domain.endswith("." + site))


def check(row: OrgVerification, *, website: str, confirmed: bool) -> Result:
    """What the DNS and the website say now. Never raises for what they answer."""
    if not row.site:
        return Result(_kept(row.level), Dmarc.UNCHECKED, NO_SITE)
    found, fetch_reason = _code_found(row, website)
    if found:
        return Result(Level.DOMAIN_CONTROL, row.dmarc, "")
    dmarc = Dmarc.UNCHECKED
    reasons: list[str] = []
    level = _kept(row.level)
    if not on_domain(row.email_domain, row.site):
        reasons.append(OFF_DOMAIN)
    else:
        try:
            dmarc = lookups.dmarc(row.email_domain, row.site).policy
        except lookups.LookupFailed:
            dmarc = Dmarc.UNREACHABLE
        if dmarc in (Dmarc.QUARANTINE, Dmarc.REJECT):
            if confirmed:
                level = max(level, Level.MAILBOX, key=RANK.__getitem__)
            else:
                reasons.append(UNCONFIRMED)
        else:
            reasons.append(REASONS[dmarc])
    if fetch_reason:
        reasons.append(fetch_reason)
    return Result(level, dmarc, "\n".join(reasons))


def _kept(level: Level) -> Level:
    """What a check cannot take away: a second person who confirmed."""
    return level if level == Level.SECOND_PERSON else Level.DECLARED


def _code_found(row: OrgVerification, website: str) -> tuple[bool, str]:
    """Whether the code is published, and why the website could not say (a catalog
    message, "" when it answered)."""
    try:
        if any(TXT_PREFIX + row.code in r for r in lookups.lookup(row.site, "TXT")):
            return True, ""
    except lookups.LookupFailed:
        pass
    try:
        body = fetch.Fetcher().get(well_known_url(website, row.site))
    except fetch.Refused as exc:
        return False, exc.reason
    return row.code in body, ""


def well_known_url(website: str, site: str) -> str:
    """The file's address on the organisation's website (its scheme and port kept)."""
    parts = urlsplit(website if "//" in website else f"https://{website}")
    scheme = parts.scheme if parts.scheme in ("http", "https") else "https"
    host = parts.hostname or site
    port = f":{parts.port}" if parts.port else ""
    return f"{scheme}://{host}{port}{WELL_KNOWN}"


def check_due(session: Session, *, now: datetime | None = None) -> int:
    """The worker's job: check the rows that are due, a few at a time."""
    now = now or utcnow()
    due = session.exec(
        select(OrgVerification, Signature.website, Signature.status)
        .join(Signature, col(Signature.id) == col(OrgVerification.signature_id))
        .where(
            col(OrgVerification.check_due_at).is_not(None),
            col(OrgVerification.check_due_at) <= now,
            col(Signature.status) != SignatureStatus.WITHDRAWN,
        )
        .order_by(col(OrgVerification.check_due_at))
        .limit(BATCH)
    ).all()
    results = [
        (row, check(row, website=website, confirmed=status in CONFIRMED))
        for row, website, status in due
    ]
    for row, result in results:
        row.level, row.dmarc, row.reason = result.level, result.dmarc, result.reason[:500]
        row.checked_at = now
        waiting = result.level != Level.DOMAIN_CONTROL and row.checks_left > 0
        row.checks_left = max(row.checks_left - 1, 0)
        row.check_due_at = now + RECHECK if waiting else None
        session.add(row)
    session.flush()
    return len(results)
