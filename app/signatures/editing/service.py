"""A signer changes their own details (name, organisation, title, note, country, how they
are listed) through the link in their emails. Nothing changes until they confirm the
change by a second emailed link, so only the mailbox owner can change a signature; once
applied, the values it replaced are kept with the change, the change is audited, and the
leads see it in their digest and on the signature's page.

The email address and the kind of signer cannot change here: a new address is a new
signer (withdraw, and sign again).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import Conflict, FieldErrors, Gone, NotFound
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.security import tokens
from app.signatures import countries, details, emails, lifecycle, similarity
from app.signatures.editing.models import SignatureChange
from app.signatures.forms import SignInput, clean_sign_input
from app.signatures.models import Listing, Signature, SignatureStatus, SignerKind
from app.signatures.moderation.service import labels
from app.statements import service as statements
from app.statements.models import StatementStatus

# What a signer may change, in the form's order.
EDITABLE = ("organisation", "acronym", "website", "name", "title", "note", "country", "listing")
# The team's correction that a signer's own change of a detail replaces.
_DISPLAY = {
    "name": "display_name",
    "organisation": "display_name",
    "acronym": "display_acronym",
    "title": "display_title",
    "note": "display_note",
    "country": "display_country",
}


def _check_editable(found: lifecycle.Found) -> None:
    if found.statement.status == StatementStatus.FINAL:
        raise Conflict(
            _(
                "This statement is final: its list of signatories can no longer change. "
                "Write to its coordinators if you need to."
            )
        )
    if found.signature.status in (SignatureStatus.WITHDRAWN, SignatureStatus.PENDING):
        raise Conflict(_("Only a confirmed signature can be changed."))


def for_edit(session: Session, *, token: str) -> lifecycle.Found:
    found = lifecycle.resolve(session, tokens.Purpose.EDIT, token, None)
    _check_editable(found)
    return found


def current_values(signature: Signature) -> dict[str, str]:
    return {name: str(getattr(signature, name)) for name in EDITABLE}


def request_change(
    session: Session, *, token: str, values: dict[str, str], now: datetime | None = None
) -> SignatureChange:
    """Check the new details as the sign form would, keep them, and email the signer a link
    to confirm them. Raises FieldErrors (the form again) when they are not valid or the
    same as now."""
    found = for_edit(session, token=token)
    signature = found.signature
    sent = {name: values.get(name, "") for name in EDITABLE}
    sent["listing"] = sent["listing"] or signature.listing.value
    fixed = {
        "kind": signature.kind.value,
        "email": signature.email,
        "authorised": "true" if signature.authorised else "",
        "consent_privacy": "true",
    }
    data = SignInput.model_validate(
        {k: v[: details.detail(k).sent_limit] for k, v in (sent | fixed).items()}
    )
    clean = clean_sign_input(data, found.statement, require_consent=False)
    changes = {
        name: str(getattr(clean, name))
        for name in EDITABLE
        if str(getattr(clean, name)) != str(getattr(signature, name))
    }
    if not changes:
        raise FieldErrors({"name": _("Nothing has changed: change a detail, then send.")})
    if clean.org_party_key != signature.org_party_key and _signed_for(
        session, signature=signature, party_key=clean.org_party_key
    ):
        raise FieldErrors({"organisation": _(ALREADY_SIGNED_FOR)})
    # One change waits at a time: the latest request replaces an earlier unconfirmed one.
    session.exec(
        delete(SignatureChange).where(
            col(SignatureChange.signature_id) == signature.id,
            col(SignatureChange.applied_at).is_(None),
        )
    )
    assert signature.id is not None
    change = SignatureChange(
        signature_id=signature.id,
        nonce=secrets.token_urlsafe(12),
        changes=json.dumps(changes, ensure_ascii=False),
        created_at=now or utcnow(),
    )
    session.add(change)
    session.flush()
    token_ = tokens.make_token(tokens.Purpose.EDIT_CONFIRM, {"c": change.id, "n": change.nonce})
    emails.email_signer(
        session,
        signature,
        template="signature_change",
        subject=N_("Confirm the change to your signature: %(title)s"),
        title=statements.current_version(session, statement=found.statement).title,
        changes=described(changes),
        link=f"{get_settings().base_url}/edit-confirm/{token_}",
        days=get_settings().signature_confirm_days,
    )
    return change


ALREADY_SIGNED_FOR = N_(
    "This address has already signed this statement for that organisation: withdraw one "
    "of the two signatures instead."
)


def _signed_for(session: Session, *, signature: Signature, party_key: str) -> bool:
    """Whether this address signed this statement for the organisation `party_key` in
    another signature (one address may sign for several organisations, once each)."""
    return (
        session.exec(
            select(Signature.id).where(
                col(Signature.statement_id) == signature.statement_id,
                col(Signature.kind) == signature.kind,
                col(Signature.email_key) == signature.email_key,
                col(Signature.org_party_key) == party_key,
                col(Signature.id) != signature.id,
            )
        ).first()
        is not None
    )


@dataclass(frozen=True)
class PendingChange:
    found: lifecycle.Found
    change: SignatureChange

    @property
    def changes(self) -> dict[str, str]:
        loaded: dict[str, str] = json.loads(self.change.changes)
        return loaded


def for_confirmation(session: Session, *, token: str) -> PendingChange:
    """What a change's confirmation link points to. Opening it changes nothing."""
    max_age = get_settings().signature_confirm_days * 24 * 3600
    try:
        payload = tokens.read_token(tokens.Purpose.EDIT_CONFIRM, token, max_age_seconds=max_age)
    except tokens.TokenExpired as exc:
        raise Gone(_("This link has expired. Ask for the change again.")) from exc
    except tokens.TokenInvalid as exc:
        raise NotFound(_(lifecycle.INVALID_LINK)) from exc
    change = session.get(SignatureChange, payload.get("c")) if isinstance(payload, dict) else None
    if change is None or change.nonce != payload.get("n"):
        raise NotFound(_(lifecycle.INVALID_LINK))
    signature = session.get(Signature, change.signature_id)
    assert signature is not None
    found = lifecycle.Found(
        signature=signature, statement=lifecycle.statement_of(session, signature)
    )
    return PendingChange(found=found, change=change)


def confirm_change(session: Session, *, token: str, now: datetime | None = None) -> PendingChange:
    """Apply the change once: a second (or concurrent) click changes nothing."""
    now = now or utcnow()
    pending = for_confirmation(session, token=token)
    if pending.change.applied_at is not None:
        return pending
    _check_editable(pending.found)
    claimed = session.exec(
        update(SignatureChange)
        .where(
            col(SignatureChange.id) == pending.change.id,
            col(SignatureChange.applied_at).is_(None),
        )
        .values(applied_at=now)
    )
    session.refresh(pending.change)
    if claimed.rowcount != 1:
        return pending
    signature, statement = pending.found.signature, pending.found.statement
    changes = pending.changes
    pending.change.previous = json.dumps(
        {name: str(getattr(signature, name)) for name in changes}, ensure_ascii=False
    )
    for name, value in changes.items():
        setattr(signature, name, value)
        if name in _DISPLAY:
            setattr(signature, _DISPLAY[name], None)  # their own words replace the team's
    if "organisation" in changes:
        party_key = similarity.party_key(signature.kind, signature.organisation)
        if party_key != signature.org_party_key and _signed_for(
            session, signature=signature, party_key=party_key
        ):
            # Signed for it in the meantime: the change would make two signatures of one.
            raise Conflict(_(ALREADY_SIGNED_FOR))
        signature.org_party_key = party_key
    if changes.keys() & {"organisation", "acronym", "website", "listing"}:
        # The look-alike keys, as signing writes them: empty unless listed by name (an
        # anonymous or counted-only organisation's name has no key in clear).
        keys = similarity.stored_keys(
            {
                "kind": SignerKind(signature.kind).value,
                "listing": Listing(signature.listing).value,
                "organisation": signature.organisation,
                "acronym": signature.acronym,
                "website": signature.website,
            }
        )
        for name, value in keys.items():
            setattr(signature, name, value)
    audit.record(
        session,
        statement_id=statement.id,
        actor=None,
        action="signature details changed by the signer",
        actor_label=_("the signer"),
        detail=f"#{signature.id}: " + ", ".join(sorted(changes)),
    )
    statement.updated_at = now  # the public list is rebuilt on its next request
    session.flush()
    return pending


@dataclass(frozen=True)
class AppliedChange:
    applied_at: datetime
    rows: list[tuple[str, str, str]]  # (label, before, after), in the reader's language


def history(session: Session, *, signature: Signature) -> list[AppliedChange]:
    """The signer's applied changes, oldest first, with what each replaced: for the
    team's page."""
    changes = session.exec(
        select(SignatureChange)
        .where(
            col(SignatureChange.signature_id) == signature.id,
            col(SignatureChange.applied_at).is_not(None),
        )
        .order_by(col(SignatureChange.applied_at), col(SignatureChange.id))
    ).all()
    applied = []
    for change in changes:
        after: dict[str, str] = json.loads(change.changes)
        before: dict[str, str] = json.loads(change.previous or "{}")
        rows = [
            (_(LABELS[name]), _shown(name, before.get(name, "")), _shown(name, after[name]))
            for name in EDITABLE
            if name in after
        ]
        assert change.applied_at is not None
        applied.append(AppliedChange(applied_at=change.applied_at, rows=rows))
    return applied


LABELS = {
    "organisation": N_("Organisation name"),
    "acronym": N_("Acronym"),
    "website": N_("Website"),
    "name": N_("Full name"),
    "title": N_("Title in the organisation"),
    "note": N_("Note"),
    "country": N_("Country"),
    "listing": N_("How to be listed"),
}


def described(changes: dict[str, str]) -> list[tuple[str, str]]:
    """(label, new value) in the reader's language, in the form's order."""
    return [(_(LABELS[name]), _shown(name, changes[name])) for name in EDITABLE if name in changes]


def _shown(name: str, value: str) -> str:
    """A detail's value as a reader reads it: a country's name, a listing's words."""
    if name == "country" and value:
        return countries.name(value)
    if name == "listing":
        return labels()["listing"].get(value, value)
    return value or "—"
