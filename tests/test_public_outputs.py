"""Public means the label, nothing more.

Every public route of the app (enumerated from it: whatever needs no sign-in) and every
format of the list, before and after finalisation, with a distinctive marker in every
field of anonymous and counted-only signers and a distinctive country (North Korea): none
of it reaches the public. A named signer's markers do, so the search looks in the right
place. Country counts come from the countries shown, those of named signers.
"""

from __future__ import annotations

import html
import io
import json
import re
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from app.accounts import deps as accounts_deps
from app.accounts.models import User
from app.api import deps as api_deps
from app.lists import service as lists
from app.lists.final import service as finalise
from app.lists.renderers.formats import FORMATS
from app.signatures import countries, details
from app.signatures.models import Signature
from app.statements import service as statements
from app.statements.models import Statement
from tests.factories import approve_signers, make_user, open_statement

SLUG = "quiet"

# Who is on the list: a named individual (Norway) and organisation (Switzerland), and, all
# from North Korea, an anonymous and a counted-only signer of each kind.
NAMED = {"namedind": ("individual", "named", "NO"), "namedorg": ("organisation", "named", "CH")}
HIDDEN = {
    "anonind": ("individual", "anonymous", "KP"),
    "anonorg": ("organisation", "anonymous", "KP"),
    "countind": ("individual", "counted", "KP"),
    "countorg": ("organisation", "counted", "KP"),
}
HIDDEN_COUNTRY_NAMES = (
    countries.name("KP", "en"),  # North Korea
    countries.name("KP", "ko"),  # 북한
    "Korea, Democratic People's Republic of",
    "Democratic People's Republic of Korea",
    "조선",
)
TEXT_DETAILS = tuple(d.name for d in details.all_details() if d.is_text and d.name != "country")
SUMMARY = "3 organisations and 3 individuals from 2 countries"


def marker(tag: str, field: str) -> str:
    """A string found nowhere else: `qz` + the signer's tag + the field."""
    return f"qz{tag}{field.replace('_', '')}"


def signer_values(tag: str, kind: str, listing: str, country: str) -> dict[str, str]:
    values = {name: marker(tag, name) for name in TEXT_DETAILS}
    values["acronym"] = marker(tag, "acr")  # acronyms are short
    values["website"] = f"https://{marker(tag, 'website')}.example"
    values["email"] = f"{marker(tag, 'email')}@example.org"
    return {
        **values,
        "kind": kind,
        "listing": listing,
        "country": country,
        "authorised": "1",
        "consent_privacy": "1",
    }


def hidden_strings() -> list[str]:
    found = [
        marker(tag, field)
        for tag in HIDDEN
        for field in (
            *TEXT_DETAILS,
            *("acr", "website", "email", "displayname", "displayacr"),
            *("displaytitle", "displaynote"),
        )
    ]
    return [s.casefold() for s in (*found, *HIDDEN_COUNTRY_NAMES)]


# --- the app's public routes ---------------------------------------------------------------

SIGN_IN = frozenset({accounts_deps.optional_user, accounts_deps.current_user, api_deps.api_user})


def needs_sign_in(dependant: Dependant) -> bool:
    return any(sub.call in SIGN_IN or needs_sign_in(sub) for sub in dependant.dependencies)


def public_paths(app: FastAPI) -> list[str]:
    """Every GET route that answers without signing in, its path parameters filled: a slug,
    each format, "1" for anything else (tokens, ids)."""
    paths = []
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        if not isinstance(original, APIRoute) or "GET" not in (original.methods or ()):
            continue
        if needs_sign_in(original.dependant) or route.path_format is None:
            continue
        path = route.path_format.replace("{slug}", SLUG)
        fills = [path.replace("{fmt}", fmt) for fmt in FORMATS] if "{fmt}" in path else [path]
        paths += [re.sub(r"\{\w+\}", "1", filled) for filled in fills]
    return paths


# --- reading what a response says ---------------------------------------------------------


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        extracted = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", handle.name, "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    # The document's metadata as well: what a reader's "properties" window shows.
    return extracted + data.decode("latin-1")


def zipped_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(
            html.unescape(archive.read(name).decode("utf-8", "replace"))
            for name in archive.namelist()
            if name.endswith((".xml", ".rels"))
        )


# The sign form offers every country by name: a choice, not anyone's signature.
# The sign form's country pickers (an organisation block's "country", "country-2", …; an
# individual's "signer_country") list every country: not a leak.
_COUNTRY_CHOICE = re.compile(r"<select[^>]*name=\"(?:signer_)?country(?:-\d+)?\".*?</select>", re.S)


def readable(path: str, data: bytes, media_type: str) -> str:
    if media_type.startswith("application/pdf"):
        return pdf_text(data)
    if "openxmlformats" in media_type:
        return zipped_xml(data)
    text = data.decode("utf-8-sig", "replace")
    if media_type.startswith("text/html"):
        text = html.unescape(_COUNTRY_CHOICE.sub("", text))
    if media_type.startswith("application/json"):
        # As a client reads it: "\ubd81\ud55c" is 북한 too.
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return text


@dataclass(frozen=True)
class Seen:
    url: str
    status: int
    text: str


def walk(client: TestClient, app: FastAPI, extra: list[str]) -> Iterator[Seen]:
    paths = public_paths(app) + extra
    for language in ("en", "ko"):
        for url in paths:
            document = "/signatories." in url
            if document and language != "en":
                continue  # a document speaks the statement's language, whoever asks
            response = client.get(
                url, headers={"Accept-Language": language}, follow_redirects=False
            )
            media_type = response.headers.get("content-type", "")
            yield Seen(url, response.status_code, readable(url, response.content, media_type))


def leaks(seen: list[Seen]) -> list[str]:
    forbidden = hidden_strings()
    found = []
    for page in seen:
        haystack = page.text.casefold()
        found += [f"{s!r} in {page.url}" for s in forbidden if s in haystack]
        if '"kp"' in haystack:
            found.append(f"country code KP in {page.url}")
    return found


# --- the statement ------------------------------------------------------------------------


@dataclass(frozen=True)
class Quiet:
    statement: Statement
    owner: User


@pytest.fixture
def quiet(db: Session) -> Quiet:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug=SLUG, list_order="alphabetical")
    everyone = {**NAMED, **HIDDEN}
    approve_signers(db, statement, [signer_values(tag, *spec) for tag, spec in everyone.items()])
    # The team's corrections of a name are details too.
    for signature in db.exec(select(Signature).where(col(Signature.statement_id) == statement.id)):
        tag = signature.email.split("email@")[0].removeprefix("qz")
        if tag in HIDDEN:
            signature.display_name = marker(tag, "displayname")
            signature.display_acronym = marker(tag, "displayacr")
            signature.display_title = marker(tag, "displaytitle")
            signature.display_note = marker(tag, "displaynote")
            db.add(signature)
    db.flush()
    return Quiet(statement=statement, owner=owner)


def _named_markers_found(seen: dict[str, Seen]) -> None:
    """The search looks where names are: the named signers are in every list output."""
    name = marker("namedind", "name")
    org = marker("namedorg", "organisation")
    listing = [
        f"/s/{SLUG}",
        f"/s/{SLUG}/signatories",
        f"/api/v1/public/statements/{SLUG}/signatures/summary",
        *(f"/s/{SLUG}/signatories.{fmt}" for fmt in FORMATS),
    ]
    for url in listing:
        text = seen[url].text.casefold()
        assert name in text and org in text, f"named signers missing from {url}"
    # Named signers' countries are public where the list has a country column.
    for fmt in ("csv", "json", "xlsx"):
        assert "Norway" in seen[f"/s/{SLUG}/signatories.{fmt}"].text, fmt
        assert "Switzerland" in seen[f"/s/{SLUG}/signatories.{fmt}"].text, fmt


def _counts_are_public_ones(client: TestClient, seen: dict[str, Seen]) -> None:
    for url in (f"/s/{SLUG}", f"/s/{SLUG}/signatories"):
        assert SUMMARY in seen[url].text, url
    counts = client.get(f"/api/v1/public/statements/{SLUG}/signatures/summary").json()["counts"]
    assert counts == {"organisations": 3, "individuals": 3, "total": 6, "countries": 2}
    listed = client.get(f"/s/{SLUG}/signatories.json").json()
    assert listed["counts"] == {"organisations": 3, "individuals": 3, "countries": 2}
    assert listed["summary"] == SUMMARY
    # Two anonymous labels, and nothing of the counted-only signers.
    names = sorted(entry["name"] for group in listed["groups"] for entry in group["entries"])
    assert names == sorted(
        ["An individual", "An organisation", marker("namedind", "name"), "qznamedorgorganisation"]
    )
    book = load_workbook(io.BytesIO(client.get(f"/s/{SLUG}/signatories.xlsx").content))
    about = {row[0]: row[1] for row in book.worksheets[-1].iter_rows(values_only=True)}
    assert (about["Countries"], about["Summary"]) == (2, SUMMARY)


def _searches_find_no_one(client: TestClient, searches: list[str]) -> None:
    """Searching the list for a hidden detail matches no one (the page repeats the query
    in its search box, so it is not walked with the others)."""
    for url in searches:
        page = client.get(url).text
        assert "0 matches" in page and "No signatory matches your search." in page, url


def _check(client: TestClient, app: FastAPI, extra: list[str]) -> dict[str, Seen]:
    seen = list(walk(client, app, extra))
    assert not [p for p in seen if p.status >= 500], [p.url for p in seen if p.status >= 500]
    assert leaks(seen) == []
    english: dict[str, Seen] = {}
    for page in seen:  # English is walked first
        english.setdefault(page.url, page)
    return english


def test_hidden_signers_reach_no_public_output_before_or_after_finalisation(
    app: FastAPI, client: TestClient, db: Session, quiet: Quiet
) -> None:
    paths = public_paths(app)
    # The enumeration found the routes that show the list (a much shorter list would mean
    # it lost them, not that they are safe).
    for expected in (
        f"/s/{SLUG}",
        f"/s/{SLUG}/signatories",
        f"/s/{SLUG}/final",
        f"/api/v1/public/statements/{SLUG}",
        f"/api/v1/public/statements/{SLUG}/signatures/summary",
        "/verify",
        *(f"/s/{SLUG}/signatories.{fmt}" for fmt in FORMATS),
    ):
        assert expected in paths, expected
    searches = [
        f"/s/{SLUG}/signatories?q={needle}"
        for needle in ("North", "Korea", marker("anonind", "note"), marker("anonorg", "acr"))
    ]
    extra = [f"/s/{SLUG}/signatories.pdf?paper=letter"]

    seen = _check(client, app, extra)
    _named_markers_found(seen)
    _counts_are_public_ones(client, seen)
    _searches_find_no_one(client, searches)

    statements.close_statement(db, statement=quiet.statement, actor=quiet.owner)
    snapshot = finalise.finalise(db, statement=quiet.statement, actor=quiet.owner)
    db.flush()
    for hidden in hidden_strings():
        assert hidden not in snapshot.list_json.casefold()
    final = [f"/verify?sha256={snapshot.pdf_sha256}"]

    seen = _check(client, app, extra + final)
    assert seen[f"/s/{SLUG}/final"].status == 200
    assert SUMMARY in seen[f"/s/{SLUG}/final"].text
    assert "Authentic." in seen[final[0]].text
    # The signed PDF of the final document is what is downloaded now.
    assert seen[f"/s/{SLUG}/signatories.pdf"].text.count("/ByteRange") >= 1
    _named_markers_found(seen)
    _counts_are_public_ones(client, seen)
    _searches_find_no_one(client, searches)
    assert lists.from_json(snapshot.list_json).counts.countries == 2
