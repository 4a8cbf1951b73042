"""What a lead submits for a statement, from the form or the API, cleaned in one place so
both paths give the same field errors: text, address, settings and the deadline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from app.core.errors import FieldErrors, about
from app.core.i18n import gettext as _
from app.core.text import normalise_email
from app.statements import deadlines, zones
from app.statements.models import ListOrder, Moderation, SignerKinds, Statement
from app.statements.text import markdown

E = TypeVar("E", SignerKinds, Moderation, ListOrder)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED_SLUGS = frozenset({"new", "api", "static", "admin", "review"})
MAX_BODY = 100_000


class StatementInput(BaseModel):
    """What a lead submits, from the form or the API. Everything arrives as text and is
    checked by `clean_input`, so both paths give the same field errors."""

    title: str = Field(default="", max_length=2000)
    slug: str = Field(default="", max_length=2000)
    summary: str = Field(default="", max_length=5000)
    addressed_to: str = Field(default="", max_length=5000)
    body: str = Field(default="", max_length=MAX_BODY * 2)
    coordinators: str = Field(default="", max_length=20000)
    contact_email: str = Field(default="", max_length=2000)
    language: str = Field(default="en", max_length=40)
    signer_kinds: str = SignerKinds.BOTH.value
    moderation: str = Moderation.MANUAL.value
    list_order: str = ListOrder.INDIVIDUALS_FIRST.value
    deadline_date: str = Field(default="", max_length=40)
    deadline_time: str = Field(default="", max_length=40)
    deadline_zone: str = Field(default="UTC", max_length=80)
    deadline_fold: str = Field(default="", max_length=10)  # "", "earlier" or "later"
    opens_date: str = Field(default="", max_length=40)
    opens_time: str = Field(default="", max_length=40)


@dataclass(frozen=True)
class CleanInput:
    title: str
    slug: str
    summary: str
    addressed_to: str
    body: str
    coordinators: str
    contact_email: str
    language: str
    signer_kinds: SignerKinds
    moderation: Moderation
    list_order: ListOrder
    deadline_at: datetime
    deadline_zone: str
    opens_at: datetime | None


class TextInput(Protocol):
    title: str
    summary: str
    addressed_to: str
    body: str


def clean_text(data: TextInput, errors: dict[str, str]) -> tuple[str, str, str, str]:
    """Title, summary, addressed-to line and Markdown body, cleaned; problems go into
    `errors` by field. Shared by the original text and its translations."""

    def line(field: str, label: str, value: str, limit: int) -> str:
        cleaned = " ".join(value.split())
        if len(cleaned) > limit:
            too_long = _("Please keep this under %(n)d characters.") % {"n": limit}
            errors[field] = about(label, too_long)
        return cleaned

    title = line("title", _("Title"), data.title, 300)
    if not title and "title" not in errors:
        errors["title"] = _("Enter a title.")
    summary = line("summary", _("Short summary"), data.summary, 500)
    addressed_to = line("addressed_to", _("Addressed to"), data.addressed_to, 500)
    body = data.body.replace("\r\n", "\n").strip()
    if not body:
        errors["body"] = _("The statement needs a text.")
    else:
        problems = markdown.validate_markdown(body, max_chars=MAX_BODY)
        if problems:
            errors["body"] = about(_("Statement text (Markdown)"), " ".join(problems))
    return title, summary, addressed_to, body


def clean_input(
    session: Session, data: StatementInput, *, existing: Statement | None = None
) -> CleanInput:
    """Validate everything at once and raise FieldErrors naming each bad field."""
    errors: dict[str, str] = {}
    title, summary, addressed_to, body = clean_text(data, errors)

    slug = data.slug.strip().lower() or (existing.slug if existing else slugify(title))
    if not SLUG.match(slug) or len(slug) > 80:
        rule = _(
            "Use lower-case letters, digits and hyphens only (for example hrc58-joint-statement)."
        )
        errors["slug"] = about(_("Web address"), rule)
    elif slug in RESERVED_SLUGS:
        errors["slug"] = _("This address is reserved. Choose another.")
    elif _slug_taken(session, slug, existing):
        errors["slug"] = _("Another statement already uses this address.")

    coordinators = "\n".join(
        " ".join(row.split()) for row in data.coordinators.splitlines() if row.strip()
    )
    if len(coordinators) > 5000:
        errors["coordinators"] = about(
            _("Coordinating organisations"),
            _("Please keep this under %(n)d characters.") % {"n": 5000},
        )
    contact = ""
    if data.contact_email.strip():
        try:
            contact = normalise_email(data.contact_email)
        except Exception:
            errors["contact_email"] = about(
                _("Contact email"), _("Please enter a valid email address.")
            )
    language = data.language.strip() or "en"
    if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", language):
        errors["language"] = _("Use a language code such as en, ko or fr.")

    kinds = _choice(errors, "signer_kinds", _("Who may sign"), data.signer_kinds, SignerKinds)
    moderation = _choice(errors, "moderation", _("Moderation"), data.moderation, Moderation)
    order = _choice(
        errors, "list_order", _("Order of the signatory list"), data.list_order, ListOrder
    )

    deadline_at = opens_at = None
    # "Geneva", "서울" or "Europe/Zurich": the zone is stored by its IANA name.
    zone = zones.resolve(data.deadline_zone)
    if zone is None:
        errors["deadline_zone"] = zones.not_found(data.deadline_zone)
    else:
        data = data.model_copy(update={"deadline_zone": zone})
        deadline_at = _deadline(errors, data)
    if data.opens_date.strip() and "deadline_zone" not in errors:
        opens_at = _instant(
            errors, "opens_at", data.opens_date, data.opens_time or "00:00", data.deadline_zone
        )
    if deadline_at and opens_at and opens_at >= deadline_at:
        errors["opens_at"] = _("The opening time must be before the deadline.")
    if errors:
        raise FieldErrors(errors)
    assert deadline_at is not None and kinds and moderation and order
    return CleanInput(
        title=title,
        slug=slug,
        summary=summary,
        addressed_to=addressed_to,
        body=body,
        coordinators=coordinators,
        contact_email=contact,
        language=language,
        signer_kinds=kinds,
        moderation=moderation,
        list_order=order,
        deadline_at=deadline_at,
        deadline_zone=data.deadline_zone.strip(),
        opens_at=opens_at,
    )


def _choice(errors: dict[str, str], field: str, label: str, value: str, enum: type[E]) -> E | None:
    try:
        return enum(value)
    except ValueError:
        errors[field] = about(label, _("Choose one of the options."))
        return None


def _deadline(errors: dict[str, str], data: StatementInput) -> datetime | None:
    if not data.deadline_date.strip() or not data.deadline_time.strip():
        errors["deadline"] = _("Give the date and time signatures close.")
        return None
    return _instant(
        errors,
        "deadline",
        data.deadline_date,
        data.deadline_time,
        data.deadline_zone,
        fold=data.deadline_fold,
    )


def _instant(
    errors: dict[str, str], field: str, day: str, clock: str, zone: str, fold: str = ""
) -> datetime | None:
    try:
        return deadlines.parse_local(day, clock, zone.strip(), fold=fold)
    except deadlines.DeadlineError as exc:
        errors[field] = str(exc)
        return None


SLUG_LENGTH = 40


def slugify(title: str) -> str:
    """A short address from a title: its ASCII words, cut at a word so that it stays within
    SLUG_LENGTH characters ("joint-statement-on-the-situation-of" from a long title)."""
    ascii_only = title.lower().encode("ascii", "ignore").decode()
    words = [w for w in re.split(r"[^a-z0-9]+", ascii_only) if w]
    slug = ""
    for word in words:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > SLUG_LENGTH:
            break
        slug = longer
    # A first word longer than the limit is cut rather than dropped.
    return slug or (words[0][:SLUG_LENGTH] if words else "")


def _slug_taken(session: Session, slug: str, existing: Statement | None) -> bool:
    query = select(Statement.id).where(col(Statement.slug) == slug)
    if existing is not None:
        query = query.where(col(Statement.id) != existing.id)
    return session.exec(query).first() is not None
