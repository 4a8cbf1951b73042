"""Circulating a draft: private, revocable review links through which partner
organisations read the text and leave comments that the team sees."""

from __future__ import annotations

import secrets

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.db import utcnow
from app.core.errors import FieldErrors, NotFound, about
from app.core.i18n import gettext as _
from app.core.text import clean_line
from app.security import tokens
from app.statements.models import ReviewComment, ReviewLink, Statement
from app.statements.service import current_version

MAX_COMMENT = 5000


def create_link(session: Session, *, statement: Statement, actor: User, label: str) -> str:
    """A new review link; returns the token to share (it is not stored)."""
    label = clean_line(label, max_length=200) or _("Review link")
    assert statement.id is not None
    link = ReviewLink(
        statement_id=statement.id,
        label=label,
        nonce=secrets.token_urlsafe(16),
        created_by_id=actor.id,
    )
    session.add(link)
    session.flush()
    audit.record(
        session, statement_id=statement.id, actor=actor, action="review link created", detail=label
    )
    return token_for(link)


def token_for(link: ReviewLink) -> str:
    return tokens.make_token(tokens.Purpose.REVIEW, {"r": link.id, "n": link.nonce})


def revoke_link(session: Session, *, statement: Statement, actor: User, link_id: int) -> None:
    link = session.get(ReviewLink, link_id)
    if link is None or link.statement_id != statement.id or link.revoked_at is not None:
        raise NotFound()
    link.revoked_at = utcnow()
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="review link revoked",
        detail=link.label,
    )
    session.flush()


def list_links(session: Session, *, statement: Statement) -> list[ReviewLink]:
    return list(
        session.exec(
            select(ReviewLink)
            .where(col(ReviewLink.statement_id) == statement.id)
            .order_by(col(ReviewLink.created_at).desc())
        )
    )


def resolve(session: Session, *, token: str) -> tuple[Statement, ReviewLink]:
    """The statement a review link opens. Revoked, tampered or unknown: 404 alike."""
    try:
        payload = tokens.read_token(tokens.Purpose.REVIEW, token, max_age_seconds=None)
    except (tokens.TokenInvalid, tokens.TokenExpired) as exc:
        raise NotFound(_("This review link is not valid, or has been withdrawn.")) from exc
    link = session.get(ReviewLink, payload.get("r")) if isinstance(payload, dict) else None
    if link is None or link.nonce != payload.get("n") or link.revoked_at is not None:
        raise NotFound(_("This review link is not valid, or has been withdrawn."))
    statement = session.get(Statement, link.statement_id)
    if statement is None:
        raise NotFound()
    return statement, link


def _too_long(limit: int) -> str:
    return _("Please keep this under %(n)d characters.") % {"n": limit}


def add_comment(
    session: Session, *, token: str, author_name: str, organisation: str, body: str
) -> ReviewComment:
    statement, link = resolve(session, token=token)
    errors = {}
    try:
        name = clean_line(author_name, max_length=200)
    except Exception:
        name, errors["author_name"] = "", about(_("Your name"), _too_long(200))
    try:
        org = clean_line(organisation, max_length=200)
    except Exception:
        org, errors["organisation"] = "", about(_("Organisation"), _too_long(200))
    text = body.replace("\r\n", "\n").strip()
    if not name:
        errors["author_name"] = _("Please enter your name.")
    if not text:
        errors["body"] = _("Please write your comment.")
    elif len(text) > MAX_COMMENT:
        errors["body"] = about(_("Comment"), _too_long(MAX_COMMENT))
    if errors:
        raise FieldErrors(errors)
    assert statement.id is not None and link.id is not None
    comment = ReviewComment(
        statement_id=statement.id,
        review_link_id=link.id,
        version_id=current_version(session, statement=statement).id,
        author_name=name,
        organisation=org,
        body=text,
    )
    session.add(comment)
    audit.record(
        session,
        statement_id=statement.id,
        actor=None,
        action="review comment",
        actor_label=_("%(name)s via review link “%(label)s”") % {"name": name, "label": link.label},
    )
    session.flush()
    return comment


def list_comments(session: Session, *, statement: Statement) -> list[ReviewComment]:
    return list(
        session.exec(
            select(ReviewComment)
            .where(col(ReviewComment.statement_id) == statement.id)
            .order_by(col(ReviewComment.created_at).desc())
        )
    )
