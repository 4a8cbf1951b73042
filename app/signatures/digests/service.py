"""Notifications about signatures: each lead's digest of new signatures (off, hourly or
daily, per statement), and the signers' message when the final document is published.

A digest carries counts and the public names of new named signers only: never an email
address, never the name of someone who signs anonymously or to be counted only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, update
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import BadRequest, NotFound
from app.core.i18n import N_, ngettext, using_locale
from app.core.i18n import gettext as _
from app.mail import service as mail
from app.signatures import emails, public
from app.signatures.editing.models import SignatureChange
from app.signatures.models import Listing, Signature, SignatureStatus
from app.signatures.reconsent import service as reconsent
from app.statements import service as statements
from app.statements.models import DigestFrequency, Statement, StatementStatus, TeamMember

PERIODS = {DigestFrequency.HOURLY: timedelta(hours=1), DigestFrequency.DAILY: timedelta(days=1)}
NAMES_SHOWN = 20


@dataclass(frozen=True)
class Digest:
    new: int  # confirmed by email in the period
    awaiting: int  # of those, still waiting for a lead's approval
    unconfirmed: int  # submitted in the period, not yet confirmed by email
    withdrawn: int
    names: list[str]  # public names of up to NAMES_SHOWN new named signers
    undelivered: int = 0  # emails to signers that failed for good in the period
    changed: int = 0  # signers who changed their details (confirmed by email) in the period

    @property
    def is_empty(self) -> bool:
        return not (
            self.new or self.unconfirmed or self.withdrawn or self.undelivered or self.changed
        )

    def summary(self) -> str:
        """Like "12 new signatures (3 awaiting your approval), 1 withdrawal"."""
        parts = []
        if self.new:
            text = ngettext("%(n)d new signature", "%(n)d new signatures", self.new)
            text %= {"n": self.new}
            if self.awaiting:
                text += " " + _("(%(n)d awaiting your approval)") % {"n": self.awaiting}
            parts.append(text)
        if self.unconfirmed:
            text = ngettext(
                "%(n)d not yet confirmed by email",
                "%(n)d not yet confirmed by email",
                self.unconfirmed,
            )
            parts.append(text % {"n": self.unconfirmed})
        if self.withdrawn:
            text = ngettext("%(n)d withdrawal", "%(n)d withdrawals", self.withdrawn)
            parts.append(text % {"n": self.withdrawn})
        if self.undelivered:
            text = ngettext(
                "%(n)d email to a signer not delivered",
                "%(n)d emails to signers not delivered",
                self.undelivered,
            )
            parts.append(text % {"n": self.undelivered})
        if self.changed:
            text = ngettext(
                "%(n)d signer changed their details",
                "%(n)d signers changed their details",
                self.changed,
            )
            parts.append(text % {"n": self.changed})
        return ", ".join(parts)


def summarise(
    session: Session, *, statement: Statement, since: datetime, until: datetime
) -> Digest:
    """What happened to the statement's signatures in (since, until]."""
    confirmed_at, submitted_at = col(Signature.confirmed_at), col(Signature.submitted_at)
    withdrawn_at, status = col(Signature.withdrawn_at), col(Signature.status)
    confirmed = and_(confirmed_at > since, confirmed_at <= until)
    submitted = and_(submitted_at > since, submitted_at <= until, status == SignatureStatus.PENDING)
    withdrawn = and_(withdrawn_at > since, withdrawn_at <= until)
    awaiting = and_(confirmed, status == SignatureStatus.CONFIRMED)
    totals = [
        func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
        for condition in (confirmed, awaiting, submitted, withdrawn)
    ]
    row = session.execute(
        select(*totals).where(
            col(Signature.statement_id) == statement.id, or_(confirmed, submitted, withdrawn)
        )
    ).one()
    named = session.exec(
        select(Signature)
        .where(
            col(Signature.statement_id) == statement.id,
            confirmed,
            col(Signature.listing) == Listing.NAMED,
            col(Signature.status).in_((SignatureStatus.CONFIRMED, SignatureStatus.APPROVED)),
        )
        .order_by(col(Signature.confirmed_at), col(Signature.id))
        .limit(NAMES_SHOWN)
    ).all()
    return Digest(
        new=int(row[0]),
        awaiting=int(row[1]),
        unconfirmed=int(row[2]),
        withdrawn=int(row[3]),
        names=[public.public_name(s) for s in named],
        undelivered=mail.count_failed_since(
            session, statement_id=statement.id or 0, since=since, until=until
        ),
        changed=_changed(session, statement=statement, since=since, until=until),
    )


def _changed(session: Session, *, statement: Statement, since: datetime, until: datetime) -> int:
    """Signers' own changes applied in (since, until]: the leads see who on the list."""
    applied = col(SignatureChange.applied_at)
    return session.exec(
        select(func.count(func.distinct(col(SignatureChange.signature_id))))
        .join(Signature, col(Signature.id) == col(SignatureChange.signature_id))
        .where(col(Signature.statement_id) == statement.id, applied > since, applied <= until)
    ).one()


def send_due_digests(session: Session, *, now: datetime) -> int:
    """Queue a digest for every lead whose period has passed and who has news. Returns
    how many were queued. A lead with nothing new is looked at again next time, so the
    first signature after a quiet spell is reported at the next run."""
    sent_at = col(TeamMember.digest_sent_at)
    due = or_(
        sent_at.is_(None),
        *(
            and_(col(TeamMember.digest) == frequency, sent_at <= now - period)
            for frequency, period in PERIODS.items()
        ),
    )
    rows = session.exec(
        select(TeamMember, User, Statement)
        .join(User, col(User.id) == col(TeamMember.user_id))
        .join(Statement, col(Statement.id) == col(TeamMember.statement_id))
        .where(
            col(TeamMember.digest).in_(list(PERIODS)),
            due,
            col(User.is_active).is_(True),
            col(Statement.status) != StatementStatus.DRAFT,
        )
        .order_by(col(TeamMember.id))
    ).all()
    queued = 0
    for member, user, statement in rows:
        since = member.digest_sent_at or member.added_at
        digest = summarise(session, statement=statement, since=since, until=now)
        if digest.is_empty or not _claim(session, member=member, now=now):
            continue
        _queue_digest(session, statement=statement, user=user, digest=digest)
        queued += 1
    session.flush()
    return queued


def _claim(session: Session, *, member: TeamMember, now: datetime) -> bool:
    """Move digest_sent_at forward only if nobody else did: two workers, one digest."""
    sent_at = col(TeamMember.digest_sent_at)
    before = member.digest_sent_at
    claimed = session.exec(
        update(TeamMember)
        .where(
            col(TeamMember.id) == member.id,
            sent_at.is_(None) if before is None else sent_at == before,
        )
        .values(digest_sent_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return claimed.rowcount == 1


def _queue_digest(session: Session, *, statement: Statement, user: User, digest: Digest) -> None:
    with using_locale(user.locale):
        _queue_digest_in_locale(session, statement=statement, user=user, digest=digest)


def _queue_digest_in_locale(
    session: Session, *, statement: Statement, user: User, digest: Digest
) -> None:
    title = statements.current_version(session, statement=statement).title
    summary = digest.summary()
    mail.queue_email(
        session,
        kind="digest",
        to_address=user.email,
        to_name=user.name,
        subject=_("%(summary)s: %(title)s") % {"summary": summary, "title": title},
        template="digest",
        context={
            "name": user.name,
            "title": title,
            "summary": summary,
            "names": digest.names,
            "more_named": digest.new > len(digest.names) and len(digest.names) == NAMES_SHOWN,
            "link": f"{get_settings().base_url}/statements/{statement.slug}/signatures",
            "undelivered": digest.undelivered,
            "undelivered_link": (
                f"{get_settings().base_url}/statements/{statement.slug}/signatures?delivery=1"
            ),
        },
        statement_id=statement.id,
        anti_phishing_phrase=user.anti_phishing_phrase,
    )


# --- a lead's choice -----------------------------------------------------------------


def _member(session: Session, *, statement: Statement, user: User) -> TeamMember | None:
    return session.exec(
        select(TeamMember).where(
            col(TeamMember.statement_id) == statement.id, col(TeamMember.user_id) == user.id
        )
    ).first()


def frequency_of(session: Session, *, statement: Statement, user: User) -> DigestFrequency | None:
    member = _member(session, statement=statement, user=user)
    return member.digest if member else None


def set_frequency(
    session: Session,
    *,
    statement: Statement,
    user: User,
    frequency: str,
    now: datetime | None = None,
) -> DigestFrequency:
    """Any team member chooses their own digest. Turning it back on starts afresh, so
    the first digest does not report everything since it was turned off."""
    try:
        chosen = DigestFrequency(frequency)
    except ValueError as exc:
        raise BadRequest(_("Choose one of the options.")) from exc
    member = _member(session, statement=statement, user=user)
    if member is None:
        raise NotFound()
    if member.digest == DigestFrequency.OFF and chosen != DigestFrequency.OFF:
        member.digest_sent_at = now or utcnow()
    member.digest = chosen
    session.flush()
    return chosen


# --- signers -------------------------------------------------------------------------


def notify_final(session: Session, *, statement: Statement, document_url: str) -> int:
    """Tell every approved signer, in their language, that the final document is out.
    Those the team took off the list after a re-consent round are not on the document
    and are not told. Returns how many were queued; call it once per publication."""
    title = statements.current_version(session, statement=statement).title
    latest = reconsent.latest_material_version_id(session, statement=statement)
    approved = session.exec(
        select(Signature)
        .where(
            col(Signature.statement_id) == statement.id,
            col(Signature.status) == SignatureStatus.APPROVED,
        )
        .order_by(col(Signature.id))
    ).all()
    queued = 0
    for signature in approved:
        if not reconsent.listed_after_reconsent(signature, latest):
            continue
        emails.email_signer(
            session,
            signature,
            template="final_published",
            subject=N_("The final document is published: %(title)s"),
            title=title,
            document_url=document_url,
            public_link=f"{get_settings().base_url}/s/{statement.slug}",
        )
        queued += 1
    return queued


def run_due(session: Session) -> int:
    """The worker's periodic job: queue every digest that is due now."""
    return send_due_digests(session, now=utcnow())
