"""Re-consent after a material change to a statement's text.

Each signature records the version its signer confirmed (`version_id`). When the team
publishes a material version, everyone who confirmed an earlier one is asked by email to
confirm again (`reconsent_version_id` = the version asked about). The team sees who has
and who has not, and decides whether those who have not stay listed (`keep_listed`).

A minor version (a typo) asks nobody. A newer material round supersedes an older one:
the older email's link then says so and leads to the newest text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, Protocol

from markupsafe import Markup
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.config import get_settings
from app.core.errors import Conflict, NotFound
from app.core.i18n import N_, using_locale
from app.core.i18n import gettext as _
from app.security import tokens
from app.signatures import emails, lifecycle
from app.signatures.models import Signature, SignatureStatus
from app.statements.models import Statement, StatementStatus, StatementVersion
from app.statements.text import diff

# Signatures that count, and so are asked again; pending ones will confirm the new text.
ACTIVE = (SignatureStatus.CONFIRMED, SignatureStatus.APPROVED)
INVALID_LINK = N_("This link is not valid. Check that it was copied whole.")

State = Literal["pending", "done", "superseded", "inactive"]


def whole_text(version: StatementVersion) -> str:
    """What a signer agrees to: the title, the addressees and the body (as on the
    team's compare page)."""
    return "\n\n".join(x for x in (f"# {version.title}", version.addressed_to, version.body) if x)


def reconfirm_token(signature: Signature, version: StatementVersion) -> str:
    return tokens.make_token(
        tokens.Purpose.RECONFIRM, {"s": signature.id, "n": signature.nonce, "v": version.id}
    )


# --- starting a round ----------------------------------------------------------------


def start_round(
    session: Session, *, statement: Statement, actor: User, version: StatementVersion
) -> int:
    """Ask everyone who confirmed an older text to confirm `version`. Returns how many
    were asked. Call it right after a new version is saved; a minor one asks nobody, and
    nobody is asked twice about the same version."""
    if not version.material or version.statement_id != statement.id:
        return 0
    assert version.id is not None
    # Claimed in one UPDATE, so two concurrent calls cannot both email the same signer.
    claimed = session.execute(
        update(Signature)
        .where(
            col(Signature.statement_id) == statement.id,
            col(Signature.status).in_(ACTIVE),
            col(Signature.version_id) < version.id,
            or_(
                col(Signature.reconsent_version_id).is_(None),
                col(Signature.reconsent_version_id) < version.id,
            ),
        )
        .values(reconsent_version_id=version.id)
        .returning(col(Signature.id))
        .execution_options(synchronize_session="fetch")
    )
    ids = list(claimed.scalars())
    if not ids:
        return 0
    signatures = session.exec(
        select(Signature).where(col(Signature.id).in_(ids)).order_by(col(Signature.id))
    ).all()
    diffs: dict[tuple[int, str], tuple[str, Markup]] = {}  # one per old version and language
    for signature in signatures:
        old = session.get(StatementVersion, signature.version_id)
        assert old is not None and old.id is not None
        key = (old.id, signature.locale)
        if key not in diffs:
            with using_locale(signature.locale):  # the diff's labels, in the signer's language
                before, after = whole_text(old), whole_text(version)
                diffs[key] = (diff.diff_text(before, after), diff.diff_html(before, after))
        _queue_request(session, signature=signature, old=old, new=version, diffs=diffs[key])
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="re-consent requested",
        detail=f"from {len(ids)} signers (version {version.number})",
    )
    session.flush()
    return len(ids)


def _queue_request(
    session: Session,
    *,
    signature: Signature,
    old: StatementVersion,
    new: StatementVersion,
    diffs: tuple[str, Markup],
) -> None:
    base = get_settings().base_url
    emails.email_signer(
        session,
        signature,
        template="reconsent",
        subject=N_("The text you signed has changed: %(title)s"),
        title=new.title,
        old_number=old.number,
        new_number=new.number,
        change_note=new.change_note,
        diff_text=diffs[0],
        diff_html=diffs[1],
        link=f"{base}/reconfirm/{reconfirm_token(signature, new)}",
        withdraw_link=f"{base}/withdraw/{lifecycle.withdraw_token(signature)}",
    )


# --- the signer's answer -------------------------------------------------------------


@dataclass(frozen=True)
class Reconfirmation:
    """What a re-confirmation link points to, and where its signer stands."""

    signature: Signature
    statement: Statement
    asked: StatementVersion  # the version this link asks about (the newest, if superseded)
    confirmed: StatementVersion | None  # the version the signer confirmed before
    state: State
    diff_html: Markup
    newer_token: str = ""  # when superseded: a link for the newest version
    just_done: bool = False


def for_reconfirmation(session: Session, *, token: str) -> Reconfirmation:
    """What a re-confirmation link shows. Opening it changes nothing."""
    try:
        payload = tokens.read_token(tokens.Purpose.RECONFIRM, token, max_age_seconds=None)
    except tokens.TokenInvalid as exc:
        raise NotFound(_(INVALID_LINK)) from exc
    if not isinstance(payload, dict):
        raise NotFound(_(INVALID_LINK))
    signature = session.get(Signature, payload.get("s"))
    asked = session.get(StatementVersion, payload.get("v"))
    if (
        signature is None
        or signature.nonce != payload.get("n")
        or asked is None
        or asked.statement_id != signature.statement_id
        or signature.reconsent_version_id is None
        or signature.reconsent_version_id < (asked.id or 0)
    ):
        raise NotFound(_(INVALID_LINK))
    statement = session.get(Statement, signature.statement_id)
    assert statement is not None and asked.id is not None
    newer_token = ""
    state: State
    if signature.status not in ACTIVE:
        state = "inactive"
    elif signature.reconsent_version_id > asked.id:
        # The text changed again since this email: what matters now is the newest text.
        newest = session.get(StatementVersion, signature.reconsent_version_id)
        assert newest is not None
        asked = newest
        if _has_confirmed(signature, newest):
            state = "done"
        else:
            state, newer_token = "superseded", reconfirm_token(signature, newest)
    elif _has_confirmed(signature, asked):
        state = "done"
    else:
        state = "pending"
    confirmed = (
        session.get(StatementVersion, signature.version_id) if signature.version_id else None
    )
    shown = diff.diff_html(whole_text(confirmed), whole_text(asked)) if confirmed else Markup("")
    return Reconfirmation(
        signature=signature,
        statement=statement,
        asked=asked,
        confirmed=confirmed,
        state=state,
        diff_html=shown,
        newer_token=newer_token,
    )


def _has_confirmed(signature: Signature, version: StatementVersion) -> bool:
    return signature.version_id is not None and signature.version_id >= (version.id or 0)


def reconfirm(session: Session, *, token: str) -> Reconfirmation:
    """Confirm the asked version. Only `version_id` changes; a second press changes
    nothing; a superseded link confirms nothing and points to the newest text."""
    found = for_reconfirmation(session, token=token)
    if found.state != "pending":
        return found
    if found.statement.status == StatementStatus.FINAL:
        raise Conflict(_("This statement is final: its list of signatories can no longer change."))
    signature, asked = found.signature, found.asked
    # Settled by the database: of two concurrent presses, one records the event.
    claimed = session.exec(
        update(Signature)
        .where(
            col(Signature.id) == signature.id,
            col(Signature.version_id) < asked.id,
            col(Signature.status).in_(ACTIVE),
        )
        .values(version_id=asked.id)
    )
    session.refresh(signature)
    if claimed.rowcount != 1:
        return for_reconfirmation(session, token=token)
    audit.record(
        session,
        statement_id=found.statement.id,
        actor=None,
        action="signature re-confirmed",
        actor_label=_("the signer"),
        detail=f"#{signature.id} (version {asked.number})",
    )
    session.flush()
    return replace(found, state="done", just_done=True)


# --- the team's view and decision ----------------------------------------------------


def latest_material_version(session: Session, *, statement: Statement) -> StatementVersion | None:
    """The newest material change after the first version: the current re-consent round."""
    return session.exec(
        select(StatementVersion)
        .where(
            col(StatementVersion.statement_id) == statement.id,
            col(StatementVersion.language) == statement.language,
            col(StatementVersion.material).is_(True),
            col(StatementVersion.number) > 1,
        )
        .order_by(col(StatementVersion.number).desc())
        .limit(1)
    ).first()


@dataclass(frozen=True)
class RoundStatus:
    version: StatementVersion | None  # None: no material change yet
    reconfirmed: list[Signature]
    waiting: list[Signature]

    @property
    def asked(self) -> int:
        return len(self.reconfirmed) + len(self.waiting)


def status(session: Session, *, statement: Statement) -> RoundStatus:
    """Who was asked about the latest material version, and who has answered. Signers
    who withdrew (or were rejected) since are in neither list."""
    version = latest_material_version(session, statement=statement)
    if version is None:
        return RoundStatus(version=None, reconfirmed=[], waiting=[])
    asked = sorted(
        session.exec(
            select(Signature).where(
                col(Signature.statement_id) == statement.id,
                col(Signature.reconsent_version_id) == version.id,
                col(Signature.status).in_(ACTIVE),
            )
        ),
        # Sorted after decrypting (names are encrypted at rest).
        key=lambda s: (s.organisation, s.name, s.id or 0),
    )
    return RoundStatus(
        version=version,
        reconfirmed=[s for s in asked if _has_confirmed(s, version)],
        waiting=[s for s in asked if not _has_confirmed(s, version)],
    )


def decide_unconfirmed(
    session: Session, *, statement: Statement, actor: User, keep_listed: bool
) -> int:
    """Keep on the list, or take off it, everyone who has not re-confirmed the latest
    material version. Returns how many. Those who re-confirm later are listed anyway."""
    if statement.status == StatementStatus.FINAL:
        raise Conflict(_("A final statement's signatures cannot change."))
    version = latest_material_version(session, statement=statement)
    if version is None:
        raise Conflict(_("The text has had no material change: nobody was asked to re-confirm."))
    result = session.exec(
        update(Signature)
        .where(
            col(Signature.statement_id) == statement.id,
            col(Signature.reconsent_version_id) == version.id,
            col(Signature.version_id) < version.id,
            col(Signature.status).in_(ACTIVE),
        )
        .values(keep_listed=keep_listed)
        .execution_options(synchronize_session="fetch")
    )
    count = int(result.rowcount or 0)
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="re-consent decision",
        detail=(
            f"{count} signers who have not re-confirmed version {version.number}: "
            + ("kept on the list" if keep_listed else "removed from the list")
        ),
    )
    session.flush()
    return count


def latest_material_version_id(session: Session, *, statement: Statement) -> int | None:
    version = latest_material_version(session, statement=statement)
    return version.id if version else None


class _Reconsented(Protocol):
    """What `listed_after_reconsent` reads (an ORM `Signature` or the list's plain values)."""

    @property
    def version_id(self) -> int | None: ...
    @property
    def keep_listed(self) -> bool | None: ...


def listed_after_reconsent(signature: _Reconsented, latest_material_version_id: int | None) -> bool:
    """For the list code: whether re-consent keeps this signature on the list. One that
    has not re-confirmed the latest material version stays listed unless the team
    decided otherwise (keep_listed=False)."""
    if latest_material_version_id is None:
        return True
    if signature.version_id is not None and signature.version_id >= latest_material_version_id:
        return True
    return signature.keep_listed is not False
