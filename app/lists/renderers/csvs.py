"""CSV exports: the public list, and the team's list with contact details.

UTF-8 with a byte order mark (without it Excel reads Korean as mojibake), CRLF line endings
and RFC 4180 quoting. Every text cell goes through `safe_cell`, so a name such as
`=HYPERLINK(…)` is shown, never run, when the file is opened in a spreadsheet. Both writers
are generators yielding chunks of bytes: 100,000 signatures stream in flat memory.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import repeat
from typing import Any, Final

from app.core.i18n import gettext as _
from app.lists.data import Entry, SignatoryList, TeamRow
from app.lists.renderers.text import clean_text, in_language
from app.signatures import details
from app.signatures.verification.models import LEVEL_LABELS, Level

BOM: Final = "\ufeff".encode()
# OWASP "CSV injection": spreadsheets treat a cell starting with these as a formula.
_FORMULA_START: Final = frozenset({"=", "+", "-", "@", "\t", "\r"})
_FORMULA_PREFIXES: Final = tuple(_FORMULA_START)
# What makes `csv.writer` quote a cell (its delimiter, quote and line terminator).
_CSV_SPECIAL: Final = re.compile('[,"\r\n]')
_CHUNK_CHARS: Final = 64 * 1024

TeamValue = str | int | datetime | None


def safe_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: control characters removed, and a leading `'`
    when the value would otherwise be read as a formula (`=`, `+`, `-`, `@`, tab)."""
    if not value.isprintable():
        value = clean_text(value)
    if value[:1] in _FORMULA_START:
        return "'" + value
    return value


def kind_label(kind: str) -> str:
    if kind == "organisation":
        return _("Organisation")
    if kind == "individual":
        return _("Individual")
    return kind


def public_header() -> list[str]:
    return [_("Kind"), _("Name"), _("Acronym"), _("Note"), _("Country"), _("Group")]


def public_record(entry: Entry, kinds: dict[str, str], group: str = "") -> list[str]:
    """One entry as the public list shows it; `kinds` maps a kind to its label; `group`
    is the signatory group it is listed in."""
    return [
        safe_cell(kinds.get(entry.kind, entry.kind)),
        safe_cell(entry.name),
        safe_cell(entry.acronym),
        safe_cell(entry.note),
        safe_cell(entry.country_name or entry.country),
        safe_cell(group),
    ]


def public_records(model: SignatoryList, kinds: dict[str, str]) -> Iterator[list[str]]:
    """Every entry in the list's order, with the name of its group."""
    for section in model.sections:
        for entry in section.entries:
            yield public_record(entry, kinds, section.tier.name)


def team_header() -> list[str]:
    return [
        _("ID"), _("Kind"), _("Status"), _("Listing"), _("Public line"),
        *(_(detail.header) for detail in details.exported()),
        _("Version confirmed"), _("Source"), _("Submitted (UTC)"), _("Confirmed (UTC)"),
        _("Decided (UTC)"), _("Withdrawn (UTC)"), _("Flags"), _("Verification"),
    ]  # fmt: skip


def utc_naive(moment: datetime | None) -> datetime | None:
    """UTC to the second, without tzinfo (spreadsheets have no time zones). Naive input is
    taken as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is not UTC and moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None, microsecond=0)


def utc_text(moment: datetime | None) -> str:
    """UTC as "2025-03-14 09:30:00", which Excel reads as a date and time; empty for None."""
    if moment is None:
        return ""
    if moment.tzinfo is not UTC and moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.isoformat(" ", "seconds")[:19]


def team_record(
    row: TeamRow, yes: str, no: str, stamp: Callable[[datetime | None], TeamValue] = utc_naive
) -> list[TeamValue]:
    """One signature for the team: text already made safe, times through `stamp`. The `csv`
    module writes it as it is (None as an empty cell)."""
    return [
        row.id,
        safe_cell(row.kind),
        safe_cell(row.status),
        safe_cell(row.listing),
        safe_cell(row.public_line),
        *(_signer_cell(row, detail, yes, no) for detail in details.exported()),
        row.version_confirmed,
        safe_cell(row.source),
        stamp(row.submitted_at),
        stamp(row.confirmed_at),
        stamp(row.decided_at),
        stamp(row.withdrawn_at),
        safe_cell(row.flags),
        safe_cell(_verification_cell(row.verification)),
    ]


class _Memo(dict[Any, str]):
    """A value's cell, made once per distinct value (the few values of the enum-like
    columns: kind, status, listing, source, flags, verification, yes/no)."""

    def __init__(self, make: Callable[[Any], str]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, value: Any) -> str:
        made = self[value] = self.make(value)
        return made


def safe_column(values: Sequence[str | None]) -> Sequence[str | None]:
    """`safe_cell` of each value of a column (None and "" kept): the column as it is when
    every value is printable and none starts like a formula — checked by C-level loops,
    without a Python call per value."""
    if all(map(str.isprintable, filter(None, values))) and not any(
        map(str.startswith, filter(None, values), repeat(_FORMULA_PREFIXES))
    ):
        return values
    return [safe_cell(value) if value else value for value in values]


def _times(values: Sequence[datetime | str | None]) -> Sequence[str | None]:
    """Times as `utc_text` writes them; a column the database formatted already (text) is
    kept."""
    first = next(filter(None, values), None)
    if first is None or isinstance(first, str):
        return values  # type: ignore[return-value]
    return list(map(utc_text, values))  # type: ignore[arg-type]


def csv_field(value: str) -> str:
    """A cell as `csv.writer` writes it (QUOTE_MINIMAL, "\\r\\n" ending lines): quoted,
    its quotes doubled, when it holds a comma, a quote or a line break."""
    if _CSV_SPECIAL.search(value) is None:
        return value
    return '"' + value.replace('"', '""') + '"'


def _fields(values: Sequence[str | None]) -> Sequence[str]:
    """`csv_field` of each value of a text column (None as ""): the column as it is when
    no value needs quoting, checked on the column joined (C-level)."""
    if None in values:
        values = ["" if value is None else value for value in values]
    if _CSV_SPECIAL.search("".join(values)) is None:  # type: ignore[arg-type]
        return values  # type: ignore[return-value]
    return list(map(csv_field, values))  # type: ignore[arg-type]


def _team_columns(yes: str, no: str) -> list[Callable[[Sequence[Any]], Sequence[str]]]:
    """How each column of a batch (`TeamRow`'s fields, in order) becomes its CSV fields:
    the text `team_record` makes, written as `csv.writer` writes it."""

    def few(make: Callable[[Any], str]) -> Callable[[Sequence[Any]], Sequence[str]]:
        known = _Memo(lambda value: csv_field(make(value)))
        return lambda values: list(map(known.__getitem__, values))

    def text(values: Sequence[str | None]) -> Sequence[str]:
        return _fields(safe_column(values))

    def times(values: Sequence[datetime | str | None]) -> Sequence[str]:
        return _fields(_times(values))

    def ids(values: Sequence[int]) -> Sequence[str]:
        return list(map(str, values))

    enum_like = few(safe_cell)
    signer = [
        few(lambda value: yes if value else no) if detail.is_yes else text
        for detail in details.exported()
    ]
    return [
        ids, enum_like, enum_like, enum_like, text,  # id, kind, status, listing, public line
        *signer,
        few(lambda value: "" if value is None else str(value)),  # version confirmed
        enum_like, times, times, times, times,  # source, the four times
        enum_like, few(lambda value: safe_cell(_verification_cell(value))),  # flags, level
    ]  # fmt: skip


def team_lines(batches: Iterable[Sequence[Sequence[Any]]], yes: str, no: str) -> Iterator[str]:
    """`team_record` with `utc_text`, as `csv.writer` writes it, for batches of rows given
    column by column (`TeamRow`'s fields in order): each batch's CSV text. A column's
    fields are made in one go — text made safe by `safe_column`, the few values of the
    enum-like columns once each — and the lines joined by `str.join`, without a Python
    call per cell (100,000 rows)."""
    makers = _team_columns(yes, no)
    assert len(makers) == len(TeamRow.__dataclass_fields__)
    for batch in batches:
        columns = [make(column) for make, column in zip(makers, batch, strict=True)]
        yield "\r\n".join(map(",".join, zip(*columns, strict=True))) + "\r\n"


def _verification_cell(value: str) -> str:
    """ "mailbox" or "mailbox disputed" as the team reads it, in their language."""
    if not value:
        return ""
    level, _space, disputed = value.partition(" ")
    text = _(LEVEL_LABELS[Level(level)])
    return f"{text} · {_('disputed')}" if disputed else text


def _signer_cell(row: TeamRow, detail: details.Detail, yes: str, no: str) -> str:
    value = getattr(row, detail.name)
    if detail.is_yes:
        return yes if value else no
    return safe_cell(value)


def _iter_csv(
    header: Sequence[str], records: Iterable[Sequence[str]], *, written: bool = False
) -> Iterator[bytes]:
    """`records` (sequences of cells), or with `written` pieces of CSV text, as chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(label) for label in header])
    write = buffer.write if written else writer.writerow
    yield BOM
    for record in records:
        write(record)  # type: ignore[arg-type]
        if buffer.tell() >= _CHUNK_CHARS:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def iter_public_csv(model: SignatoryList) -> Iterator[bytes]:
    """Exactly what the public list shows, in its order, headed in the list's language."""
    header, kinds = in_language(model.language, _public_labels)
    return _iter_csv(header, public_records(model, kinds))


def _public_labels() -> tuple[list[str], dict[str, str]]:
    return public_header(), {kind: kind_label(kind) for kind in ("organisation", "individual")}


def iter_team_csv_batches(batches: Iterable[Sequence[Sequence[Any]]]) -> Iterator[bytes]:
    """Every signature with its contact details, for the team (in the interface language),
    from batches of rows given column by column (`app.lists.exports.team.team_batches`)."""
    header, yes, no = team_header(), _("yes"), _("no")
    return _iter_csv(header, team_lines(batches, yes, no), written=True)
