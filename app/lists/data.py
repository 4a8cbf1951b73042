"""One signatory list per statement, from which every format is rendered (HTML, text,
PDF, DOCX, CSV, XLSX, JSON). Renderers receive only this model: plain data, already in
its public form, so no renderer can leak what the public must not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

VERIFIED_MARK = "\u2713"  # ✓


@dataclass(frozen=True)
class Entry:
    """One line of the public list, as it is shown."""

    kind: str  # "organisation" | "individual"
    name: str  # the organisation, or the person; an anonymous label for anonymous signers
    acronym: str = ""  # organisations only
    note: str = ""  # individuals only: "elder sister of a detainee"
    country: str = ""  # ISO 3166-1 alpha-2, "" when unknown
    country_name: str = ""  # in the list's language
    anonymous: bool = False
    # Organisations: ECOSOC consultative status as stated (general, special, roster,
    # none); "" in lists frozen before it was asked. The HRC layout groups by it.
    ecosoc: str = ""
    # An organisation verified beyond its own word (app.signatures.verification), on a
    # statement whose lead chose to show it: the entry's line ends with VERIFIED_MARK.
    verified: bool = False

    def __post_init__(self) -> None:
        # An anonymous entry is its label and nothing more, however it was made (a builder
        # change, or a snapshot frozen before this rule): no renderer gets a detail to leak.
        if self.anonymous:
            for detail in ("acronym", "note", "country", "country_name", "ecosoc"):
                object.__setattr__(self, detail, "")
            object.__setattr__(self, "verified", False)

    @property
    def line(self) -> str:
        """The entry as one line of text: "Name (ACR)" or "Name (note)", and the mark."""
        mark = f" {VERIFIED_MARK}" if self.verified else ""
        if self.acronym:
            return f"{self.name} ({self.acronym}){mark}"
        if self.note:
            return f"{self.name} ({self.note}){mark}"
        return self.name + mark


@dataclass(frozen=True)
class Group:
    kind: str  # "organisation" | "individual" | "all"
    heading: str  # "Organisations", "Individuals", or "" for one alphabetical list
    entries: tuple[Entry, ...]
    tier: int = 0  # the index of its Tier in SignatoryList.tiers


@dataclass(frozen=True)
class Counts:
    organisations: int
    individuals: int
    # Distinct countries of the signatories listed by name: those of anonymous and
    # counted-only signers are not public, not even as a number.
    countries: int

    @property
    def total(self) -> int:
        return self.organisations + self.individuals


@dataclass(frozen=True)
class Tier:
    """A signatory group the lead made ("Coordinating partners", "Signatories"): its
    entries are the Groups (by kind) whose `tier` is its index."""

    name: str
    heading: str  # the name, or "" when the list has only one group (its heading says it)
    summary: str  # "36 organisations from 20 countries", localised
    counts: Counts
    in_prose: bool = False  # the group the sentence for speeches names


@dataclass(frozen=True)
class Section:
    """A tier with its groups, as every format lays it out."""

    tier: Tier
    groups: tuple[Group, ...]

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(entry for group in self.groups for entry in group.entries)


@dataclass(frozen=True)
class SignatoryList:
    slug: str
    title: str
    addressed_to: str
    body_markdown: str  # the statement text as approved (the version the list is for)
    body_html: str  # rendered and sanitised
    language: str  # the statement's language (collation, dates, headings)
    version_number: int
    as_of: date  # in the statement's time zone
    as_of_text: str  # "as of 14 March 2025", localised
    summary: str  # "36 organisations and 4 individuals from 19 countries", localised
    heading: str  # "Signatories (as of 14 March 2025)"
    groups: tuple[Group, ...]
    counts: Counts
    coordinators: tuple[str, ...] = ()
    generated_at: datetime | None = None  # None for a final snapshot (reproducible bytes)
    deadline_text: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    # The signatory groups; none (a list made before groups) reads as one unnamed tier.
    tiers: tuple[Tier, ...] = ()
    coordinators_heading: str = ""  # "Coordinated by", in the list's language
    # The sentence for speeches (app.lists.renderers.text.speech_prose).
    prose_step: int = 1
    prose_template: str = ""

    # Worked out once per list: the public page's cached list of 10,000 names was walked
    # four times over on every render (a stall of milliseconds in a busy worker).
    @cached_property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(entry for group in self.groups for entry in group.entries)

    @cached_property
    def any_verified(self) -> bool:
        """Whether any entry carries the verified mark (the page then explains it)."""
        return any(entry.verified for entry in self.entries)

    @property
    def sections(self) -> tuple[Section, ...]:
        if not self.tiers:
            whole = Tier(name="", heading="", summary=self.summary, counts=self.counts)
            return (Section(tier=whole, groups=self.groups),)
        return tuple(
            Section(tier=tier, groups=tuple(g for g in self.groups if g.tier == index))
            for index, tier in enumerate(self.tiers)
        )


@dataclass(frozen=True)
class TranslatedText:
    """A translation the document carries after the original text (the PDF only: the
    list formats are the same in every language)."""

    language: str
    heading: str  # "한국어 (Korean)": named in itself, and in the document's language
    note: str  # that the original is the text signed, in the document's language
    title: str
    addressed_to: str
    to_label: str  # "To:" in the translation's language when the app speaks it
    body_markdown: str


@dataclass(frozen=True)
class TeamRow:
    """One signature with the contact details only the team may see (team exports)."""

    id: int
    kind: str
    status: str
    listing: str
    public_line: str  # as shown in public ("" for counted-only)
    # The signer's details the team export shows: app.signatures.details.exported(), in order.
    name: str
    title: str
    note: str
    organisation: str
    acronym: str
    website: str
    ecosoc_status: str  # general, special, roster or none
    country: str
    email: str
    consent_privacy: bool
    opt_in_updates: bool
    version_confirmed: int | None
    source: str
    submitted_at: datetime
    confirmed_at: datetime | None
    decided_at: datetime | None
    withdrawn_at: datetime | None
    flags: str
    # Organisations: their verification level (app.signatures.verification), "disputed"
    # appended when their known address said "this wasn't us"; "" for individuals.
    verification: str = ""
