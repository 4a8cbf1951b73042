"""UN Human Rights Council written statements: the list laid out the way OHCHR asks, with
co-sponsors grouped by their ECOSOC consultative status, organisations without status in a
footnote, and the statement's length against the limit for the lowest status among them.

Pure functions of the one signatory list (`SignatoryList`), so a final statement's layout
comes from its frozen snapshot like every other format. Individuals and anonymous
signers are not co-sponsors: only organisations listed by name appear here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from app.accounts.models import User
from app.audit import service as audit
from app.core.db import utcnow
from app.core.errors import Conflict, FieldErrors, about
from app.core.i18n import gettext as _
from app.core.i18n import ngettext
from app.lists import service as lists
from app.lists.data import Entry, SignatoryList
from app.lists.renderers import text
from app.signatures.models import EcosocStatus, Signature, SignerKind
from app.signatures.moderation import service as moderation
from app.statements.models import Statement, StatementStatus

# Words allowed by the lowest status among the co-sponsors (OHCHR's NGO written statements).
LIMITS = {EcosocStatus.GENERAL: 2000, EcosocStatus.SPECIAL: 1500, EcosocStatus.ROSTER: 1500}
# From the highest status to the lowest, as the layout lists them.
RANKED = (EcosocStatus.GENERAL, EcosocStatus.SPECIAL, EcosocStatus.ROSTER)
_WORD = re.compile(r"\w+(?:['’\-]\w+)*")
_LINK_TARGET = re.compile(r"\]\([^)]*\)|<https?://[^>]*>|https?://\S+")


@dataclass(frozen=True)
class StatusGroup:
    status: str  # an EcosocStatus value
    heading: str  # "Non-governmental organizations in general consultative status"
    names: tuple[str, ...]


@dataclass(frozen=True)
class HrcLayout:
    slug: str
    title: str
    addressed_to: str
    body_markdown: str
    language: str
    groups: tuple[StatusGroup, ...]  # the co-sponsors, highest status first; none empty
    without: tuple[str, ...]  # organisations without status, named in the footnote
    footnote: str  # "The following … also share the views …: A, B." ("" when none)
    words: int  # the statement's text, as OHCHR counts it (its title is not counted)
    limit: int | None  # None: no co-sponsor has consultative status
    lowest: str | None  # the lowest status among the co-sponsors

    @property
    def over(self) -> bool:
        return self.limit is not None and self.words > self.limit


def status_labels() -> list[tuple[str, str]]:
    """The choices of the sign form, the correction form and the API, in order."""
    return [
        (EcosocStatus.NONE.value, _("None, or not sure")),
        (EcosocStatus.GENERAL.value, _("General consultative status")),
        (EcosocStatus.SPECIAL.value, _("Special consultative status")),
        (EcosocStatus.ROSTER.value, _("On the roster")),
    ]


def count_words(markdown_text: str) -> int:
    """Words in the statement's text: link targets and Markdown marks do not count; a
    hyphenated or apostrophised word is one; Korean counts by its spaced units (eojeol)."""
    return len(_WORD.findall(_LINK_TARGET.sub(" ", markdown_text)))


def _heading(status: EcosocStatus, count: int) -> str:
    if status == EcosocStatus.GENERAL:
        return ngettext(
            "Non-governmental organization in general consultative status",
            "Non-governmental organizations in general consultative status",
            count,
        )
    if status == EcosocStatus.SPECIAL:
        return ngettext(
            "Non-governmental organization in special consultative status",
            "Non-governmental organizations in special consultative status",
            count,
        )
    return ngettext(
        "Non-governmental organization on the roster",
        "Non-governmental organizations on the roster",
        count,
    )


def _status(entry: Entry) -> EcosocStatus:
    try:
        return EcosocStatus(entry.ecosoc or EcosocStatus.NONE)
    except ValueError:
        return EcosocStatus.NONE


def layout(model: SignatoryList) -> HrcLayout:
    """The HRC layout of a list, in the list's language."""
    return text.in_language(model.language, _layout, model)


def _layout(model: SignatoryList) -> HrcLayout:
    organisations = [
        e for e in model.entries if e.kind == SignerKind.ORGANISATION.value and not e.anonymous
    ]
    by_status: dict[EcosocStatus, list[str]] = {}
    for entry in organisations:
        by_status.setdefault(_status(entry), []).append(text.one_line(entry.line))
    groups = tuple(
        StatusGroup(
            status=s.value, heading=_heading(s, len(by_status[s])), names=tuple(by_status[s])
        )
        for s in RANKED
        if by_status.get(s)
    )
    without = by_status.get(EcosocStatus.NONE, [])
    footnote = ""
    if without:
        footnote = ngettext(
            "The following non-governmental organization without consultative status also "
            "shares the views expressed in this statement: %(names)s.",
            "The following non-governmental organizations without consultative status also "
            "share the views expressed in this statement: %(names)s.",
            len(without),
        ) % {"names": ", ".join(without)}
    lowest = next((s for s in reversed(RANKED) if by_status.get(s)), None)
    return HrcLayout(
        slug=model.slug,
        title=model.title,
        addressed_to=model.addressed_to,
        body_markdown=model.body_markdown,
        language=model.language,
        groups=groups,
        without=tuple(without),
        footnote=footnote,
        words=count_words(model.body_markdown),
        limit=LIMITS[lowest] if lowest else None,
        lowest=lowest.value if lowest else None,
    )


def layout_for(session: Session, *, statement: Statement) -> HrcLayout:
    """The statement's HRC layout from its public list (the frozen one once final)."""
    model = text.in_language(statement.language, lists.public_list, session, statement=statement)
    return layout(model)


def correct_status(
    session: Session, *, statement: Statement, actor: User, signature_id: int, status: str
) -> Signature:
    """The lead's correction of an organisation's stated consultative status."""
    if statement.status == StatementStatus.FINAL:
        raise Conflict(_("A final statement's signatures cannot change."))
    signature = moderation.get_signature(session, statement=statement, signature_id=signature_id)
    try:
        chosen = EcosocStatus(status)
    except ValueError as exc:
        raise FieldErrors(
            {
                "ecosoc_status": about(
                    _("Consultative status"),
                    _("Choose one of the consultative statuses offered."),
                )
            }
        ) from exc
    if signature.kind != SignerKind.ORGANISATION:
        raise FieldErrors(
            {
                "ecosoc_status": about(
                    _("Consultative status"), _("Only organisations have a consultative status.")
                )
            }
        )
    before, signature.ecosoc_status = signature.ecosoc_status, chosen
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="signature ecosoc corrected",
        detail=f"#{signature.id}: {before.value} → {chosen.value}",
    )
    statement.updated_at = utcnow()  # the public list is rebuilt on its next request
    session.flush()
    return signature
