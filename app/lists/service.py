"""Building the one signatory list of a statement, from which every format is rendered."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date, datetime

from babel.dates import format_date
from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.core.i18n import babel_locale, ngettext
from app.core.i18n import gettext as _
from app.lists import cache, collation
from app.lists.data import Counts, Entry, Group, SignatoryList, Tier, TranslatedText
from app.lists.final.models import StatementSnapshot
from app.lists.listed import Listed, listed_signatures
from app.lists.renderers import text
from app.signatures import countries
from app.signatures.models import Listing, Signature, SignatureStatus, SignerKind
from app.signatures.public import anonymous_label
from app.signatures.reconsent import service as reconsent
from app.signatures.verification import service as verification
from app.statements import deadlines
from app.statements import service as statements
from app.statements.groups import service as groups
from app.statements.groups.models import SignatoryGroup
from app.statements.models import (
    ListOrder,
    ListSort,
    Statement,
    StatementStatus,
    StatementVersion,
)
from app.statements.text import markdown
from app.statements.translations import service as translations


def public_list(session: Session, *, statement: Statement) -> SignatoryList:
    """A final statement's frozen list, or the live one."""
    if statement.status == StatementStatus.FINAL:
        # Only the list's JSON: the snapshot row also carries the signed PDF.
        frozen = session.exec(
            select(StatementSnapshot.list_json).where(
                col(StatementSnapshot.statement_id) == statement.id
            )
        ).first()
        if frozen is not None:
            return from_json(frozen)
    return cache.live_list(
        session, statement=statement, build=lambda: build(session, statement=statement)
    )


def speech(session: Session, *, statement: Statement) -> str:
    """The sentence for speeches and emails, from the public list (frozen once final), in
    the statement's language."""
    model = text.in_language(statement.language, public_list, session, statement=statement)
    return text.speech_prose(model)


def approved(session: Session, *, statement: Statement) -> list[Signature]:
    """Approved signatures that stay on the list: after a material change, those who did
    not re-confirm are dropped only if the team decided so."""
    latest = reconsent.latest_material_version_id(session, statement=statement)
    rows = session.exec(
        select(Signature).where(
            col(Signature.statement_id) == statement.id,
            col(Signature.status) == SignatureStatus.APPROVED,
        )
    )
    return [s for s in rows if reconsent.listed_after_reconsent(s, latest)]


def entry_for(signature: Listed, *, verified: bool = False) -> Entry | None:
    """The public form of a signature, or None for counted-only signers. An anonymous
    signer is only their label: no country, note, title or organisation. `verified`:
    the organisation's verification mark is shown."""
    if signature.listing == Listing.COUNTED:
        return None
    if signature.listing == Listing.ANONYMOUS:
        return Entry(
            kind=signature.kind.value, name=anonymous_label(signature.kind), anonymous=True
        )
    if signature.kind == SignerKind.ORGANISATION:
        name = signature.display_name or signature.organisation
        acronym = signature.acronym
        if signature.display_acronym is not None:
            acronym = signature.display_acronym
        note = ""
    else:
        name, acronym, note = signature.display_name or signature.name, "", signature.shown_note
    country = signature.shown_country
    return Entry(
        kind=signature.kind.value,
        name=name,
        acronym=acronym,
        note=note,
        country=country,
        country_name=countries.name(country) if country else "",
        ecosoc=signature.ecosoc_status.value if signature.kind == SignerKind.ORGANISATION else "",
        verified=verified and signature.kind == SignerKind.ORGANISATION,
    )


def build(
    session: Session,
    *,
    statement: Statement,
    version: StatementVersion | None = None,
    as_of: date | None = None,
    now: datetime | None = None,
) -> SignatoryList:
    now = now or utcnow()
    version = version or statements.current_version(session, statement=statement)
    found = listed_signatures(session, statement=statement)
    signatures, verified = verification.public_view(
        session, statement_id=statement.id, signatures=found
    )
    as_of = as_of or statement.list_as_of or deadlines.to_local(now, statement.deadline_zone).date()
    tiers = groups.groups_for(session, statement=statement)
    return assemble(
        statement,
        version,
        signatures,
        as_of=as_of,
        generated_at=now,
        tiers=tiers,
        verified=verified,
    )


def assemble(
    statement: Statement,
    version: StatementVersion,
    signatures: Sequence[Listed],
    *,
    as_of: date,
    generated_at: datetime | None,
    tiers: Sequence[SignatoryGroup] = (),
    verified: frozenset[int] = frozenset(),
) -> SignatoryList:
    """The list for `signatures` (approved ones) in `tiers` (the statement's groups, in
    order) — pure: no database access. `verified`: the signatures shown with the mark."""
    language = statement.language
    order = _order(statement)
    # Each signature's entry, made once (None: counted only).
    entries = [entry_for(s, verified=s.id in verified) for s in signatures]
    by_tier: dict[int | None, list[tuple[Listed, Entry | None]]] = {}
    if tiers:
        by_id = {each.id: each for each in tiers}
        default = groups.default_group(tiers)
        for signature, entry in zip(signatures, entries, strict=True):
            tier_id = by_id.get(signature.group_id, default).id
            by_tier.setdefault(tier_id, []).append((signature, entry))
    everyone = list(zip(signatures, entries, strict=True))
    named_tiers: list[tuple[SignatoryGroup | None, list[tuple[Listed, Entry | None]]]] = (
        [(each, by_tier.get(each.id, [])) for each in tiers] if tiers else [(None, everyone)]
    )
    # A group nobody is in is left out of every output.
    named_tiers = [(tier, members) for tier, members in named_tiers if members]
    several = len(named_tiers) > 1
    listed: list[Group] = []
    tier_models: list[Tier] = []
    for index, (tier, members) in enumerate(named_tiers):
        positioned = [(s, e) for s, e in members if e is not None]
        ordered = [entry for _sig, entry in sorted(positioned, key=order)]
        listed += _groups(statement.list_order, ordered, tier=index, several=several)
        tier_counts = _counts([s for s, _e in members], positioned)
        tier_models.append(
            Tier(
                name=tier.name if tier else "",
                heading=tier.name if tier and several else "",
                summary=summary(tier_counts),
                counts=tier_counts,
                in_prose=bool(tier and tier.in_prose),
            )
        )
    named = [(s, e) for s, e in everyone if e is not None]
    counts = _counts(signatures, named)
    as_of_text = format_date(as_of, format="long", locale=babel_locale())
    heading = statement.list_heading or _("Signatories")
    return SignatoryList(
        slug=statement.slug,
        title=version.title,
        addressed_to=version.addressed_to,
        body_markdown=version.body,
        body_html=markdown.render_markdown(version.body),
        language=language,
        version_number=version.number,
        as_of=as_of,
        as_of_text=as_of_text,
        summary=summary(counts),
        heading=_("%(heading)s (as of %(date)s)") % {"heading": heading, "date": as_of_text},
        groups=tuple(listed),
        counts=counts,
        coordinators=tuple(c for c in statement.coordinators.splitlines() if c),
        generated_at=generated_at,
        deadline_text=deadlines.describe(statement.deadline_at, statement.deadline_zone),
        tiers=tuple(tier_models),
        coordinators_heading=_("Coordinated by"),
        prose_step=statement.prose_step,
        prose_template=statement.prose_template,
    )


def _order(statement: Statement) -> Callable[[tuple[Listed, Entry]], tuple[object, ...]]:
    """The order of names within a group: a manual position first where the lead set one;
    then by name, by country then name, or in the order signatures were approved."""
    key = collation.sort_key(statement.language, ignore_articles=statement.ignore_articles)
    plain = collation.sort_key(statement.language)
    sort = statement.list_sort

    def order(item: tuple[Listed, Entry]) -> tuple[object, ...]:
        signature, entry = item
        manual = signature.position if signature.position is not None else 2**31
        # Anonymous labels go after the names, so the list reads as names first.
        hidden = 1 if entry.anonymous else 0
        if sort == ListSort.MANUAL:
            return (manual, hidden, signature.decided_at or signature.submitted_at, signature.id)
        if sort == ListSort.COUNTRY:
            # Entries without a country after those with one.
            where = (0, plain(entry.country_name)) if entry.country_name else (1, b"")
            return (manual, hidden, where, key(entry.name))
        return (manual, hidden, key(entry.name))

    return order


def _counts(members: Sequence[Listed], named: list[tuple[Listed, Entry]]) -> Counts:
    return Counts(
        organisations=sum(1 for s in members if s.kind == SignerKind.ORGANISATION),
        individuals=sum(1 for s in members if s.kind == SignerKind.INDIVIDUAL),
        countries=len({entry.country for _sig, entry in named if entry.country}),
    )


def _groups(
    order: ListOrder, entries: list[Entry], *, tier: int = 0, several: bool = False
) -> list[Group]:
    if order == ListOrder.ALPHABETICAL:
        return [Group(kind="all", heading="", entries=tuple(entries), tier=tier)] if entries else []
    individuals = tuple(e for e in entries if e.kind == SignerKind.INDIVIDUAL)
    organisations = tuple(e for e in entries if e.kind == SignerKind.ORGANISATION)
    # Under a group's own heading, "Organisations" is said only when individuals follow.
    both = bool(individuals and organisations) or not several
    pair = [
        Group(
            kind=SignerKind.INDIVIDUAL.value,
            heading=_("Individuals") if both else "",
            entries=individuals,
            tier=tier,
        ),
        Group(
            kind=SignerKind.ORGANISATION.value,
            heading=_("Organisations") if both else "",
            entries=organisations,
            tier=tier,
        ),
    ]
    if order != ListOrder.INDIVIDUALS_FIRST:
        pair.reverse()
    return [group for group in pair if group.entries]


def summary(counts: Counts) -> str:
    """ "36 organisations and 4 individuals from 19 countries", in the reader's language."""
    orgs = ngettext("%(num)d organisation", "%(num)d organisations", counts.organisations) % {
        "num": counts.organisations
    }
    people = ngettext("%(num)d individual", "%(num)d individuals", counts.individuals) % {
        "num": counts.individuals
    }
    if counts.organisations and counts.individuals:
        who = _("%(organisations)s and %(individuals)s") % {
            "organisations": orgs,
            "individuals": people,
        }
    elif counts.individuals:
        who = people
    elif counts.organisations:
        who = orgs
    else:
        return _("No signatures yet")
    if not counts.countries:
        return who
    places = ngettext("%(num)d country", "%(num)d countries", counts.countries) % {
        "num": counts.countries
    }
    return _("%(who)s from %(places)s") % {"who": who, "places": places}


# --- serialising (snapshots) --------------------------------------------------------


def document_translations(session: Session, *, statement: Statement) -> tuple[TranslatedText, ...]:
    """The translations the lead chose for the PDF, headed in the statement's language."""
    return text.in_language(statement.language, _document_translations, session, statement)


def _document_translations(session: Session, statement: Statement) -> tuple[TranslatedText, ...]:
    carried = []
    for version in translations.for_document(session, statement=statement):
        native = translations.native_name(version.language)
        named = translations.language_name(version.language)
        carried.append(
            TranslatedText(
                language=version.language,
                heading=native if native == named else f"{native} ({named})",
                note=_("Translation. The text people signed is the original, above."),
                title=version.title,
                addressed_to=version.addressed_to,
                to_label=text.in_language(version.language, _, "To:"),
                body_markdown=version.body,
            )
        )
    return tuple(carried)


def to_json(model: SignatoryList) -> str:
    data = asdict(model)
    data["as_of"] = model.as_of.isoformat()
    data["generated_at"] = model.generated_at.isoformat() if model.generated_at else None
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def from_json(text: str) -> SignatoryList:
    data = json.loads(text)
    listed = tuple(
        Group(
            kind=g["kind"],
            heading=g["heading"],
            entries=tuple(Entry(**e) for e in g["entries"]),
            tier=g.get("tier", 0),
        )
        for g in data.pop("groups")
    )
    # Snapshots frozen before groups have no tiers: they read as one unnamed tier.
    tiers = tuple(Tier(**{**t, "counts": Counts(**t["counts"])}) for t in data.pop("tiers", ()))
    counts = Counts(**data.pop("counts"))
    data["as_of"] = date.fromisoformat(data["as_of"])
    generated = data.pop("generated_at")
    return SignatoryList(
        **{k: v for k, v in data.items() if k not in ("coordinators",)},
        coordinators=tuple(data.get("coordinators", ())),
        groups=listed,
        tiers=tiers,
        counts=counts,
        generated_at=datetime.fromisoformat(generated) if generated else None,
    )
