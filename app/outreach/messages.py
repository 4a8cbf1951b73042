"""An invitee's email: their personal links (signed tokens naming the invitation) and
the outbox row that carries them, for invitations and reminders alike.

Bodies are rendered once per language and shape, not once per invitee: stand-ins take
the place of what differs between two invitees of one language (their name,
organisation and links), and each message gets its values put in (HTML-escaped in the
HTML body). 5,000 invitations then cost a few renders, not 10,000.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from markupsafe import escape
from sqlmodel import Session, col, select

from app.core import templating
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.text import clean_line
from app.mail.models import OutboxStatus
from app.outreach.models import Invitation
from app.security import tokens
from app.statements import deadlines
from app.statements.models import Statement


@dataclass(frozen=True)
class Invitee:
    """Whom to invite: a roster entry, or a pasted address (organisation unknown)."""

    email: str
    name: str = ""
    organisation: str = ""
    acronym: str = ""
    website: str = ""
    country: str = ""
    language: str = "en"
    contact_id: int | None = None


def link_token(invitation_nonce: str) -> str:
    return tokens.make_token(tokens.Purpose.OUTREACH, invitation_nonce)


def links(statement: Statement, nonce: str) -> dict[str, str]:
    base = get_settings().base_url
    token = link_token(nonce)
    return {
        "sign_link": f"{base}/s/{statement.slug}/sign/i/{token}",
        "decline_link": f"{base}/o/{token}/decline",
        "stop_link": f"{base}/o/{token}/stop",
    }


def by_token(session: Session, *, token: str) -> Invitation | None:
    """The invitation a personal link names, or None for a link that is not ours."""
    try:
        nonce = tokens.read_token(tokens.Purpose.OUTREACH, token, max_age_seconds=None)
    except (tokens.TokenInvalid, tokens.TokenExpired):
        return None
    if not isinstance(nonce, str):
        return None
    return session.exec(select(Invitation).where(col(Invitation.nonce) == nonce)).first()


_SLOTS = ("name", "organisation", "sign_link", "decline_link", "stop_link")
Bodies = dict[tuple[str, str, bool, bool], tuple[str, str]]


def one_line(subject: str) -> str:
    return clean_line(subject, max_length=300)


def _slot(name: str) -> str:
    return f"@@outreach-{name}@@"


def _bodies(template: str, to: Invitee, context: dict[str, Any], cache: Bodies) -> tuple[str, str]:
    key = (template, to.language, bool(to.name), bool(to.organisation))
    if key not in cache:
        ctx = {
            "base_url": get_settings().base_url,
            "anti_phishing_phrase": "",
            "describe_instant": deadlines.describe,
            **{slot: _slot(slot) for slot in _SLOTS},
            **context,
        }
        if not to.name:
            ctx["name"] = ""
        if not to.organisation:
            ctx["organisation"] = ""
        cache[key] = (
            templating.render_text(f"emails/{template}.txt", ctx),
            templating.render_text(f"emails/{template}.html", ctx),
        )
    return cache[key]


def _fill(body: str, values: dict[str, str], *, html: bool) -> str:
    for slot, value in values.items():
        body = body.replace(_slot(slot), str(escape(value)) if html else value)
    return body


def message_row(
    statement: Statement,
    *,
    kind: str,
    template: str,
    subject: str,
    to: Invitee,
    nonce: str,
    context: dict[str, Any],
    host: str,
    cache: Bodies,
) -> dict[str, Any]:
    """One outbox row in the invitee's language (the current locale), with the same
    bodies queue_email would render for it. `subject`: one line (`one_line`)."""
    text, html = _bodies(template, to, context, cache)
    values = {"name": to.name, "organisation": to.organisation, **links(statement, nonce)}
    now = utcnow()
    return {
        "kind": kind,
        "to_address": to.email,
        "to_name": to.name,  # cleaned when it was typed (roster.clean_contact)
        "subject": subject,
        "text_body": _fill(text, values, html=False),
        "html_body": _fill(html, values, html=True),
        "locale": to.language,
        "message_id": make_msgid(domain=host),
        "status": OutboxStatus.READY.value,
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_by": "",
        "last_error": "",
        "created_at": now,
        "statement_id": statement.id,
    }
