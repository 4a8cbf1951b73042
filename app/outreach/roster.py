"""The team's roster of partner organisations: added by hand, imported from CSV, or from
an earlier statement's organisations that opted in to updates (and that statement's
roster). One entry per organisation: a new entry that looks like one already there (same
website, same acronym, near-identical name: app.signatures.similarity) is not added."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete, func, or_
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.errors import BadRequest, FieldErrors, NotFound, about
from app.core.i18n import SUPPORTED_LOCALES, normalise
from app.core.i18n import gettext as _
from app.core.text import check_website, clean_line, normalise_email
from app.outreach.models import Invitation, RosterContact, RosterSource
from app.signatures import countries, similarity
from app.signatures.models import Signature, SignatureStatus, SignerKind
from app.statements.models import Statement, TeamMember

MAX_CSV_ROWS = 5000
# CSV headings we read (lower-case, either language); any other column is ignored.
COLUMNS = {
    "organisation": ("organisation", "organization", "org", "단체", "단체명"),
    "acronym": ("acronym", "약칭"),
    "website": ("website", "web", "url", "웹사이트"),
    "country": ("country", "국가"),
    "group_name": ("group", "network", "그룹"),
    "name": ("name", "contact", "contact name", "이름"),
    "email": ("email", "e-mail", "email address", "이메일"),
    "language": ("language", "lang", "언어"),
}
FIELDS = tuple(COLUMNS)


@dataclass(frozen=True)
class ContactInput:
    organisation: str
    acronym: str
    website: str
    country: str
    group_name: str
    name: str
    email: str
    language: str


@dataclass
class ImportResult:
    added: int = 0
    already: list[str] = field(default_factory=list)  # organisations already on the roster
    problems: list[str] = field(default_factory=list)  # "line 4: …"


def clean_contact(values: Mapping[str, str]) -> ContactInput:
    """A roster entry from typed text; FieldErrors names each field that is wrong."""
    errors: dict[str, str] = {}

    def line(name: str, label: str, limit: int) -> str:
        try:
            return clean_line(values.get(name, ""), max_length=limit)
        except BadRequest as exc:
            errors[name] = about(label, exc.message)
            return ""

    organisation = line("organisation", _("Organisation name"), 300)
    if not organisation and "organisation" not in errors:
        errors["organisation"] = _("Enter the organisation's name.")
    acronym = line("acronym", _("Acronym (optional)"), 40)
    website = line("website", _("Website (optional)"), 300)
    try:
        website = check_website(website)
    except BadRequest as exc:
        errors["website"] = exc.message
    country = values.get("country", "").strip().upper()
    if country and country not in countries.codes():
        errors["country"] = _("Choose a country from the list.")
    group_name = line("group_name", _("Group"), 100)
    name = line("name", _("Contact name"), 200)
    email = ""
    try:
        email = normalise_email(values.get("email", ""))
    except BadRequest as exc:
        errors["email"] = exc.message
    language = values.get("language", "").strip().lower() or "en"
    if language not in SUPPORTED_LOCALES:
        errors["language"] = _("Choose a language from the list.")
    if errors:
        raise FieldErrors(errors)
    return ContactInput(
        organisation=organisation,
        acronym=acronym,
        website=website,
        country=country,
        group_name=group_name,
        name=name,
        email=email,
        language=normalise(language),
    )


def find_organisation(
    session: Session, *, statement_id: int, organisation: str, acronym: str = "", website: str = ""
) -> RosterContact | None:
    """The roster entry for this organisation, if there is one: the same website domain,
    the same acronym, or a near-identical name (the look-alike check's keys and cut-off).
    Only plausible candidates are read (same site or acronym, or a key of a length that
    can reach the cut-off)."""
    key = similarity.org_key(organisation)
    site = similarity.website_domain(website)[: similarity.KEY_LENGTH]
    low, high = similarity.length_window(len(key))
    conditions = [
        col(RosterContact.org_key) == key,
        func.length(col(RosterContact.org_key)).between(low, high),
    ]
    if site:
        conditions.append(col(RosterContact.site) == site)
    if acronym:
        conditions.append(func.lower(col(RosterContact.acronym)) == acronym.lower())
    candidates = session.exec(
        select(RosterContact)
        .where(col(RosterContact.statement_id) == statement_id, or_(*conditions))
        .order_by(col(RosterContact.id))
    ).all()
    for entry in candidates:
        if (site and entry.site == site) or (acronym and entry.acronym.lower() == acronym.lower()):
            return entry
    for entry in candidates:
        if key and similarity.near_name(key, [entry.org_key]):
            return entry
    return None


def _add(
    session: Session,
    statement: Statement,
    data: ContactInput,
    *,
    source: RosterSource,
    source_statement_id: int | None = None,
) -> RosterContact | None:
    """Adds the entry, or returns None when the organisation is on the roster already."""
    assert statement.id is not None
    if find_organisation(
        session,
        statement_id=statement.id,
        organisation=data.organisation,
        acronym=data.acronym,
        website=data.website,
    ):
        return None
    entry = RosterContact(
        statement_id=statement.id,
        organisation=data.organisation,
        acronym=data.acronym,
        website=data.website,
        country=data.country,
        group_name=data.group_name,
        name=data.name,
        email=data.email,
        language=data.language,
        org_key=similarity.org_key(data.organisation),
        site=similarity.website_domain(data.website)[: similarity.KEY_LENGTH],
        source=source,
        source_statement_id=source_statement_id,
    )
    session.add(entry)
    session.flush()
    return entry


def add_contact(
    session: Session, *, statement: Statement, actor: User, values: Mapping[str, str]
) -> RosterContact:
    data = clean_contact(values)
    entry = _add(session, statement, data, source=RosterSource.MANUAL)
    if entry is None:
        raise FieldErrors({"organisation": _("This organisation is already on the roster.")})
    audit.record(session, statement_id=statement.id, actor=actor, action="roster.added")
    return entry


def import_csv(session: Session, *, statement: Statement, actor: User, text: str) -> ImportResult:
    """Adds every valid row; the others are reported by line, and nothing is guessed."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise FieldErrors({"csv": _("Paste the CSV, with its heading row.")})
    headings = [cell.strip().lower() for cell in rows[0]]
    where = {
        name: next((i for i, h in enumerate(headings) if h in names), None)
        for name, names in COLUMNS.items()
    }
    if where["organisation"] is None or where["email"] is None:
        raise FieldErrors(
            {"csv": _("The heading row needs at least an “organisation” and an “email” column.")}
        )
    if len(rows) - 1 > MAX_CSV_ROWS:
        raise FieldErrors({"csv": _("At most %(num)d rows at a time.") % {"num": MAX_CSV_ROWS}})
    result = ImportResult()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {
            name: row[i] if i is not None and i < len(row) else "" for name, i in where.items()
        }
        try:
            data = clean_contact(values)
        except FieldErrors as exc:
            reasons = "; ".join(exc.errors.values())
            result.problems.append(
                _("Line %(num)d: %(reasons)s") % {"num": number, "reasons": reasons}
            )
            continue
        if _add(session, statement, data, source=RosterSource.CSV) is None:
            result.already.append(data.organisation)
        else:
            result.added += 1
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="roster.imported",
        detail=str(result.added),
    )
    return result


def earlier_statements(session: Session, *, statement: Statement, user: User) -> list[Statement]:
    """The other statements on whose team `user` is: where earlier signers come from."""
    return list(
        session.exec(
            select(Statement)
            .join(TeamMember, col(TeamMember.statement_id) == col(Statement.id))
            .where(col(TeamMember.user_id) == user.id, col(Statement.id) != statement.id)
            .order_by(col(Statement.deadline_at).desc())
        ).all()
    )


def import_signers(
    session: Session, *, statement: Statement, actor: User, source_slug: str
) -> ImportResult:
    """The organisations that signed an earlier statement (confirmed or approved) and
    opted in to updates, and that statement's own roster. Only from a statement on whose
    team `actor` is (404 otherwise, as for any statement outside one's team)."""
    source = next(
        (
            s
            for s in earlier_statements(session, statement=statement, user=actor)
            if s.slug == source_slug.strip()
        ),
        None,
    )
    if source is None:
        raise NotFound(_("That statement was not found."))
    result = ImportResult()
    signers = session.exec(
        select(Signature)
        .where(
            col(Signature.statement_id) == source.id,
            col(Signature.kind) == SignerKind.ORGANISATION,
            col(Signature.opt_in_updates).is_(True),
            col(Signature.status).in_([SignatureStatus.CONFIRMED, SignatureStatus.APPROVED]),
        )
        .order_by(col(Signature.id))
    ).all()
    entries: list[ContactInput] = [
        ContactInput(
            organisation=s.organisation,
            acronym=s.acronym,
            website=s.website,
            country=s.country,
            group_name="",
            name=s.name,
            email=s.email,
            language=normalise(s.locale),
        )
        for s in signers
    ]
    entries += [
        ContactInput(
            organisation=c.organisation,
            acronym=c.acronym,
            website=c.website,
            country=c.country,
            group_name=c.group_name,
            name=c.name,
            email=c.email,
            language=c.language,
        )
        for c in roster(session, statement=source)
    ]
    for data in entries:
        added = _add(
            session, statement, data, source=RosterSource.SIGNERS, source_statement_id=source.id
        )
        if added is None:
            result.already.append(data.organisation)
        else:
            result.added += 1
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="roster.imported",
        detail=f"{source.slug}: {result.added}",
    )
    return result


def roster(session: Session, *, statement: Statement) -> list[RosterContact]:
    return list(
        session.exec(
            select(RosterContact)
            .where(col(RosterContact.statement_id) == statement.id)
            .order_by(func.lower(col(RosterContact.organisation)), col(RosterContact.id))
        ).all()
    )


def remove_contact(session: Session, *, statement: Statement, actor: User, contact_id: int) -> None:
    """Deletes the entry and its contact data (an invitation already sent keeps its own
    record of whom it went to, deleted with the statement's contact details)."""
    removed = session.exec(
        delete(RosterContact).where(
            col(RosterContact.id) == contact_id, col(RosterContact.statement_id) == statement.id
        )
    )
    if removed.rowcount != 1:
        raise NotFound(_("That roster entry was not found."))
    audit.record(session, statement_id=statement.id, actor=actor, action="roster.removed")


def purge_contacts(session: Session, *, statement_id: int) -> int:
    """Retention: the statement's roster and invitations (every contact address they
    hold) go with its signers' contact details. Referral counts hold none and stay."""
    gone = session.exec(delete(Invitation).where(col(Invitation.statement_id) == statement_id))
    removed = session.exec(
        delete(RosterContact).where(col(RosterContact.statement_id) == statement_id)
    )
    return int(gone.rowcount or 0) + int(removed.rowcount or 0)
