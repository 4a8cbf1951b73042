"""Importing signatures from a spreadsheet, such as a Google Forms export: the team maps
the columns, sees every bad row and every duplicate in a preview, then imports all or
nothing. Imported signatures are the team's word: approved at once, never emailed."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict, FieldErrors, PayloadTooLarge, about
from app.core.i18n import gettext as _
from app.signatures.forms import CleanSign, SignInput, clean_sign_input
from app.signatures.importing import columns as import_columns
from app.signatures.importing.columns import (
    CHOICES,
    GROUP,
    IGNORE,
    field_labels,
    field_of,
    normal_country,
    normal_kind,
)
from app.signatures.models import Listing, Signature, SignatureStatus, SignerKind, Source
from app.statements import service as statements
from app.statements.groups import service as signatory_groups
from app.statements.groups.models import SignatoryGroup
from app.statements.models import SignerKinds, Statement, StatementStatus

MAX_ROWS = 20_000
ENCODINGS = ("utf-8-sig", "cp949", "cp1252", "latin-1")  # tried in this order
Mapping = dict[int, str]  # column index → a choice: a SignInput field, a reading, or IGNORE


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]  # the first is spreadsheet row 2
    encoding: str
    delimiter: str


@dataclass(frozen=True)
class Defaults:
    kind: str = ""  # for rows that do not say
    listing: str = Listing.NAMED.value


@dataclass(frozen=True)
class Row:
    number: int  # as in the spreadsheet: the header is row 1
    values: dict[str, str]  # field → the cell as written
    clean: CleanSign | None = None
    errors: dict[str, str] = field(default_factory=dict)
    existing: SignatureStatus | None = None  # this signer has signed the statement already
    group_id: int | None = None  # the group its "group" cell names; None: the default
    same_as_row: int | None = None  # an earlier row of the file is this signer

    @property
    def duplicate(self) -> bool:
        return self.existing is not None or self.same_as_row is not None


@dataclass(frozen=True)
class Preview:
    rows: list[Row]
    group_names: dict[int | None, str] = field(default_factory=dict)  # None: the default

    @property
    def good(self) -> list[Row]:
        return [r for r in self.rows if r.clean is not None and not r.duplicate]

    @property
    def bad(self) -> list[Row]:
        return [r for r in self.rows if r.errors]

    @property
    def duplicates(self) -> list[Row]:
        return [r for r in self.rows if r.duplicate]


class ImportRejected(FieldErrors):
    """Some rows cannot be imported, so none was. `errors` is keyed "row-N"."""

    def __init__(self, preview: Preview, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.message = _("Nothing was imported: %(n)d rows need attention.") % {"n": len(errors)}
        self.preview = preview


# --- reading the file -----------------------------------------------------------------


def decode(data: bytes, *, encoding: str = "auto") -> tuple[str, str]:
    """The file's text and the encoding it was read with."""
    limit = get_settings().import_file_max_bytes
    if len(data) > limit:
        raise PayloadTooLarge(
            _("The file is larger than %(mb)d MB. Split it into smaller files.")
            % {"mb": limit // 1_000_000}
        )
    if not data.strip():
        raise BadRequest(_("The file is empty."))
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:
        raise BadRequest(_("This is not a CSV file. Save the spreadsheet as CSV and try again."))
    for candidate in ENCODINGS if encoding == "auto" else (encoding,):
        try:
            return data.decode(candidate), candidate
        except (UnicodeDecodeError, LookupError):
            continue
    raise BadRequest(_("The file could not be read as %(encoding)s.") % {"encoding": encoding})


def parse(text: str, *, encoding: str = "utf-8-sig") -> Table:
    """Rows of cells, the delimiter sniffed; the first row must name the columns."""
    text = text.removeprefix("\ufeff")
    sample = "\n".join(text[:65536].splitlines()[:50])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = max(",;\t", key=sample.split("\n", 1)[0].count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise BadRequest(_("The file could not be read as CSV: %(e)s") % {"e": exc}) from exc
    rows = [[cell.strip() for cell in record] for record in records]
    headers = rows[0] if rows else []
    if not any(headers) or any("@" in h for h in headers):
        raise BadRequest(_("The first row must name the columns, for example “Email Address”."))
    data = rows[1:]
    while data and not any(data[-1]):
        data.pop()
    if not data:
        raise BadRequest(_("The file has a header row but no signatures."))
    if len(data) > MAX_ROWS:
        raise BadRequest(
            _("The file has more than %(n)s rows. Split it into smaller files.")
            % {"n": f"{MAX_ROWS:,}"}
        )
    return Table(headers=headers, rows=data, encoding=encoding, delimiter=delimiter)


# --- previewing and importing -----------------------------------------------------------


def check_mapping(mapping: Mapping, *, statement: Statement, defaults: Defaults) -> None:
    """Each field from one column at most, a name and an email, and a way to know the kind.
    Errors are keyed by the form's field: "col-N", "missing-FIELD", "default_kind"."""
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for index, choice in sorted(mapping.items()):
        name = field_of(choice)
        if choice not in CHOICES:
            errors[f"col-{index}"] = _("Choose one of the options.")
        elif name in seen and name != IGNORE:
            errors[f"col-{index}"] = _("Another column is already imported as this.")
        seen.add(name)
    for needed in ("name", "email"):
        if needed not in seen:
            errors[f"missing-{needed}"] = _("Choose the column that holds: %(field)s") % {
                "field": field_labels()[needed]
            }
    if "kind" not in seen and not defaults.kind and statement.signer_kinds == SignerKinds.BOTH:
        errors["default_kind"] = _(
            "No column says who signs as what: choose whether the rows are organisations "
            "or individuals."
        )
    if defaults.kind not in ("", *SignerKind.__members__.values()):
        errors["default_kind"] = about(
            _("Rows that do not say whether they sign as an organisation or an individual"),
            _("Choose one of the options."),
        )
    if defaults.listing not in Listing.__members__.values():
        errors["default_listing"] = about(
            _("Rows that do not say how to be listed"), _("Choose one of the options.")
        )
    if errors:
        raise FieldErrors(errors)


def preview(
    session: Session,
    *,
    statement: Statement,
    rows: Sequence[Sequence[str]],
    mapping: Mapping,
    defaults: Defaults,
) -> Preview:
    """Every row cleaned or refused, and every signer who signed already or twice."""
    if statement.status == StatementStatus.FINAL:
        raise Conflict(_("A final statement's signatures cannot change."))
    check_mapping(mapping, statement=statement, defaults=defaults)
    # A signer is an address as an individual, or an address for one organisation (one
    # address may sign for several).
    query = select(
        Signature.kind, Signature.email_key, Signature.org_party_key, Signature.status
    ).where(col(Signature.statement_id) == statement.id)
    existing = {
        (kind, key, party): SignatureStatus(status)
        for kind, key, party, status in session.exec(query)
    }
    first_row: dict[tuple[SignerKind, str, str], int] = {}
    found_groups = signatory_groups.groups_for(session, statement=statement)
    known_groups = _group_keys(found_groups)
    results: list[Row] = []
    listing_choice = next((c for c in mapping.values() if field_of(c) == "listing"), "listing")
    for number, cells in enumerate(rows, start=2):
        if not any(cells):
            continue  # a blank line in a spreadsheet is not a signature
        values = {
            field_of(c): cells[i] for i, c in mapping.items() if c != IGNORE and i < len(cells)
        }
        group_id, group_error = _group(values.get(GROUP, ""), known_groups)
        signer_values = {f: v for f, v in values.items() if f != GROUP}
        clean, errors = _clean(
            signer_values, statement=statement, defaults=defaults, listing_choice=listing_choice
        )
        if group_error:
            clean, errors = None, {**errors, GROUP: group_error}
        signer = (clean.kind, clean.email_key, clean.org_party_key) if clean else None
        results.append(
            Row(
                number=number,
                values=values,
                clean=clean,
                errors=errors,
                existing=existing.get(signer) if signer else None,
                same_as_row=first_row.get(signer) if signer else None,
                group_id=group_id,
            )
        )
        if signer:
            first_row.setdefault(signer, number)
    names: dict[int | None, str] = {g.id: g.name for g in found_groups}
    names[None] = signatory_groups.default_group(found_groups).name
    return Preview(rows=results, group_names=names)


def _group_keys(groups: Sequence[SignatoryGroup]) -> dict[str, int]:
    """The statement's groups by the name an import cell gives (see `columns.group_key`)."""
    found: dict[str, int] = {}
    for group in groups:
        if group.id is not None:
            found.setdefault(import_columns.group_key(group.name), group.id)
    return found


def _group(written: str, known: dict[str, int]) -> tuple[int | None, str]:
    """The group a cell names (None for an empty cell: the default group), or why not.
    An unknown name is an error, never a new group: a typo would otherwise make a heading
    in every document, and groups are made, named and ordered on the list page."""
    if not written.strip():
        return None, ""
    found = known.get(import_columns.group_key(written))
    if found is not None:
        return found, ""
    return None, _(
        "“%(value)s” is not one of this statement's groups. Make the group on the list "
        "page first, or correct the name."
    ) % {"value": written[:60]}


def _clean(
    values: dict[str, str], *, statement: Statement, defaults: Defaults, listing_choice: str
) -> tuple[CleanSign | None, dict[str, str]]:
    errors = {f: _("This cell is too long.") for f, v in values.items() if len(v) > 5000}
    data = {f: v for f, v in values.items() if f not in errors}

    def understood(name: str, read: Callable[[str], object], message: str) -> object:
        written = values.get(name, "")
        meaning = read(written) if written else None
        if written and meaning is None:
            errors[name] = message % {"value": written[:60]}
        return meaning

    kind = understood("kind", normal_kind, _("“%(value)s” is neither organisation nor individual."))
    only = {SignerKinds.ORGANISATIONS: "organisation", SignerKinds.INDIVIDUALS: "individual"}
    data["kind"] = str(kind or defaults.kind or only.get(statement.signer_kinds, ""))
    listing = understood(
        "listing",
        import_columns.listing_reader(listing_choice),
        _listing_problem(values, listing_choice),
    )
    data["listing"] = str(listing or defaults.listing)
    ecosoc = understood(
        "ecosoc_status",
        import_columns.normal_ecosoc,
        _("“%(value)s” is not a consultative status: general, special, roster or none."),
    )
    data["ecosoc_status"] = str(ecosoc or "")
    country = understood("country", normal_country, _("“%(value)s” is not a country we know."))
    data["country"] = str(country or "")
    for flag in ("consent_privacy", "opt_in_updates", "authorised"):
        data[flag] = import_columns.yes_value(values[flag]) if flag in values else ""
    if "authorised" not in values:
        data["authorised"] = "yes"  # the team vouches for the organisations it adds
    try:
        clean = clean_sign_input(SignInput(**data), statement, require_consent=False)
    except FieldErrors as exc:
        return None, {**exc.errors, **errors}
    return (None, errors) if errors else (clean, {})


def _listing_problem(values: dict[str, str], listing_choice: str) -> str:
    """Why a listing cell is not understood, with what to do about a yes/no answer."""
    if listing_choice != "listing":
        return _("“%(value)s” is neither yes nor no.")
    if import_columns.yes_no(values.get("listing", "")) is not None:
        return _(
            "“%(value)s” does not say how to be listed: in the column choices, choose what "
            "“Yes” means in this column, or do not import it."
        )
    return _("“%(value)s” is not a way to be listed.")


def commit_import(
    session: Session,
    *,
    statement: Statement,
    actor: User,
    rows: Sequence[Sequence[str]],
    mapping: Mapping,
    defaults: Defaults,
    skip_duplicates: bool,
    filename: str = "",
) -> int:
    """Import every good row, or none: one bad row (or, unless skipped, one duplicate)
    refuses the whole file. Writes in the caller's transaction; returns the count."""
    result = preview(session, statement=statement, rows=rows, mapping=mapping, defaults=defaults)
    labels = field_labels()
    problems = {
        f"row-{row.number}": _("Row %(n)d: %(problems)s")
        % {
            "n": row.number,
            "problems": "; ".join(f"{labels[f]}: {m}" for f, m in row.errors.items()),
        }
        for row in result.bad
    }
    if not skip_duplicates:
        for row in result.duplicates:
            problems[f"row-{row.number}"] = _("Row %(n)d: a duplicate.") % {"n": row.number}
    if problems:
        raise ImportRejected(result, problems)
    version_id = statements.current_version(session, statement=statement).id
    values = [_values(statement, row, actor, version_id, filename[:200]) for row in result.good]
    try:
        with session.begin_nested():
            if values:
                session.execute(insert(Signature), values)
    except IntegrityError as exc:  # someone signed between the preview and now
        raise Conflict(_("Some of these people have just signed. Preview the file again.")) from exc
    detail = f"imported {len(values)} signatures from {filename}"
    if result.duplicates:
        detail += f"; {len(result.duplicates)} duplicates skipped"
    audit.record(
        session, statement_id=statement.id, actor=actor, action="signatures imported", detail=detail
    )
    session.flush()
    return len(values)


def _values(
    statement: Statement, row: Row, actor: User, version_id: int | None, filename: str
) -> dict[str, object]:
    assert row.clean is not None
    at = utcnow()
    return asdict(row.clean) | {
        "statement_id": statement.id,
        "status": SignatureStatus.APPROVED,
        "locale": statement.language,
        "source": Source.IMPORT,
        "source_note": f"{filename}, row {row.number}",
        "nonce": secrets.token_urlsafe(12),
        "version_id": version_id,
        "submitted_at": at,
        "decided_at": at,
        "decided_by_id": actor.id,
        "group_id": row.group_id,
    }
