"""Importing signatures from a spreadsheet, such as a Google Forms export: the team maps
the columns, sees every bad row and every duplicate in a preview, then imports all or
nothing. Imported signatures are the team's word: approved at once, never emailed."""

from __future__ import annotations

import csv
import io
import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import TypeVar

import pycountry
from babel import Locale
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.db import utcnow
from app.errors import BadRequest, Conflict, FieldErrors, PayloadTooLarge
from app.i18n import gettext as _
from app.signatures import countries
from app.signatures.forms import CleanSign, SignInput, clean_sign_input
from app.signatures.models import Listing, Signature, SignatureStatus, SignerKind, Source
from app.statements import service as statements
from app.statements.models import SignerKinds, Statement, StatementStatus

MAX_BYTES = 5_000_000
MAX_ROWS = 20_000
IGNORE = "ignore"
FIELDS = tuple(SignInput.model_fields)
ENCODINGS = ("utf-8-sig", "cp949", "cp1252", "latin-1")  # tried in this order
Mapping = dict[int, str]  # column index → a SignInput field, or IGNORE
E = TypeVar("E", SignerKind, Listing)


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
    same_as_row: int | None = None  # an earlier row of the file is this signer

    @property
    def duplicate(self) -> bool:
        return self.existing is not None or self.same_as_row is not None


@dataclass(frozen=True)
class Preview:
    rows: list[Row]

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
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(_("The file is larger than 5 MB. Split it into smaller files."))
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


# --- understanding the columns and their values -----------------------------------------

# field: exact headers | words within longer headers. The first rule that matches wins, so
# the specific come first: "Organization website" is a website, not an organisation.
_HEADER_RULES = """
ignore: timestamp, 타임스탬프, submitted at | timestamp, 타임스탬프
consent_privacy: | privacy, consent, 개인정보, 동의
opt_in_updates: | updates, newsletter, 소식
authorised: | authoris, authoriz, on behalf, 권한
email: email address, email, e-mail, 이메일 주소 | email, e-mail, 이메일, 메일
website: website, 웹사이트 | website, web site, homepage, url, 웹사이트, 홈페이지
acronym: acronym, 약칭 | acronym, abbreviation, 약칭, 약어
kind: type, kind, signing as, 유형, 구분 | signing as, sign as, signatory type, 서명 유형, 서명 주체
listing: listing, how to be listed, 공개 여부 | listed, listing, 공개, 표기
country: country, 국가 | country, 국가, 나라
title: title, position, 직책 | job title, position, title, 직책, 직위
organisation: organisation, organization, 단체명, 기관 | organisation, organization, 단체, 기관
note: note, affiliation, 소속 | affiliation, note, 소속
name: name, full name, 이름, 성명 | name, 이름, 성명, 성함
"""


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


_RULES = [
    (name, set(_words(exact)), _words(within))
    for name, exact, within in (
        re.split("[:|]", line) for line in _HEADER_RULES.split("\n") if line
    )
]


def _normal(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w@-]+", " ", folded).split())


def _has_word(text: str, word: str) -> bool:
    if word.isascii():  # an English word must start a word: "type" is not in "prototype"
        return re.search(rf"(?<![a-z]){re.escape(word)}", text) is not None
    return word in text


def suggest_mapping(headers: Sequence[str]) -> dict[str, str]:
    """A guess at what each column holds, from Google Forms-style headers in English or
    Korean. Each field is suggested for one column at most; the rest are ignored."""
    suggested: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        text = _normal(header)
        guess = next((f for f, exact, _w in _RULES if text in exact), None)
        if guess is None:
            within = (f for f, _e, ws in _RULES if any(_has_word(text, w) for w in ws))
            guess = next(within, IGNORE)
        suggested.setdefault(header, IGNORE if guess in taken else guess)
        taken.add(guess)
    return suggested


_KINDS = (
    (SignerKind.INDIVIDUAL, ("individ", "person", "개인")),
    (SignerKind.ORGANISATION, ("org", "group", "단체", "기관")),
)
_LISTINGS = (
    (Listing.COUNTED, ("count", "집계", "숫자")),
    (Listing.ANONYMOUS, ("anonym", "익명", "비공개", "without name", "no name")),
    (Listing.NAMED, ("name", "public", "공개", "실명")),
)


def _meaning(value: str, choices: Sequence[tuple[E, Sequence[str]]]) -> E | None:
    """The choice whose value is written, or whose word appears first in this order."""
    v = _normal(value)
    exact = [choice for choice, _words in choices if choice.value == v]
    within = [choice for choice, words in choices if any(_has_word(v, w) for w in words)]
    return (exact + within + [None])[0]


def normal_kind(value: str) -> SignerKind | None:
    return _meaning(value, _KINDS)


def normal_listing(value: str) -> Listing | None:
    return _meaning(value, _LISTINGS)


_COUNTRY_ALIASES = """uk=GB great_britain=GB england=GB america=US united_states_of_america=US
korea=KR republic_of_korea=KR 한국=KR 남한=KR north_korea=KP 북한=KP turkey=TR"""


@cache
def _country_names() -> dict[str, str]:
    names = {
        _normal(name): code
        for locale in ("en", "ko")
        for code, name in Locale(locale).territories.items()
        if code in countries.codes()
    }
    aliases = (pair.replace("_", " ").split("=") for pair in _COUNTRY_ALIASES.split())
    return names | {name: code for name, code in aliases}


def normal_country(value: str) -> str | None:
    """ISO alpha-2 from a code (KR, KOR) or a name in English or Korean; None if unknown."""
    v = " ".join(value.split())
    if not v:
        return ""
    try:
        return str(pycountry.countries.lookup(v).alpha_2)
    except LookupError:
        return _country_names().get(_normal(v).removeprefix("the "))


def _yes(value: str) -> str:
    return "" if _normal(value) in {"", "no", "n", "false", "0", "아니오", "아니요"} else "yes"


def field_labels() -> dict[str, str]:
    return {
        IGNORE: _("Do not import"),
        "kind": _("Signing as (organisation or individual)"),
        "name": _("Name of the signer"),
        "title": _("Title / position"),
        "note": _("Note / affiliation (individuals)"),
        "organisation": _("Organisation"),
        "acronym": _("Acronym"),
        "website": _("Website"),
        "country": _("Country"),
        "email": _("Email address"),
        "listing": _("How to be listed"),
        "authorised": _("Authorised to sign for the organisation"),
        "consent_privacy": _("Agreed to the privacy notice"),
        "opt_in_updates": _("Wants updates"),
    }


# --- previewing and importing -----------------------------------------------------------


def check_mapping(mapping: Mapping, *, statement: Statement, defaults: Defaults) -> None:
    """Each field from one column at most, a name and an email, and a way to know the kind.
    Errors are keyed by the form's field: "col-N", "missing-FIELD", "default_kind"."""
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for index, name in sorted(mapping.items()):
        if name not in (*FIELDS, IGNORE):
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
        errors["default_kind"] = _("Choose one of the options.")
    if defaults.listing not in Listing.__members__.values():
        errors["default_listing"] = _("Choose one of the options.")
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
    query = select(Signature.kind, Signature.email_key, Signature.status).where(
        col(Signature.statement_id) == statement.id
    )
    existing = {(kind, key): SignatureStatus(status) for kind, key, status in session.exec(query)}
    first_row: dict[tuple[SignerKind, str], int] = {}
    results: list[Row] = []
    for number, cells in enumerate(rows, start=2):
        if not any(cells):
            continue  # a blank line in a spreadsheet is not a signature
        values = {f: cells[i] for i, f in mapping.items() if f != IGNORE and i < len(cells)}
        clean, errors = _clean(values, statement=statement, defaults=defaults)
        signer = (clean.kind, clean.email_key) if clean else None
        results.append(
            Row(
                number=number,
                values=values,
                clean=clean,
                errors=errors,
                existing=existing.get(signer) if signer else None,
                same_as_row=first_row.get(signer) if signer else None,
            )
        )
        if signer:
            first_row.setdefault(signer, number)
    return Preview(rows=results)


def _clean(
    values: dict[str, str], *, statement: Statement, defaults: Defaults
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
    listing = understood("listing", normal_listing, _("“%(value)s” is not a way to be listed."))
    data["listing"] = str(listing or defaults.listing)
    country = understood("country", normal_country, _("“%(value)s” is not a country we know."))
    data["country"] = str(country or "")
    for flag in ("consent_privacy", "opt_in_updates", "authorised"):
        data[flag] = _yes(values[flag]) if flag in values else ""
    if "authorised" not in values:
        data["authorised"] = "yes"  # the team vouches for the organisations it adds
    try:
        clean = clean_sign_input(SignInput(**data), statement, require_consent=False)
    except FieldErrors as exc:
        return None, {**exc.errors, **errors}
    return (None, errors) if errors else (clean, {})


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
    }
