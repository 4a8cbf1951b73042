"""Importing signatures from a CSV through the team's pages: upload → columns → preview →
import; all rows or none, duplicates skipped, the carried file tamper-proof."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session, col, func, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.core.config import get_settings
from app.core.errors import AppError, BadRequest
from app.mail.models import OutboxMessage
from app.signatures.forms import email_key
from app.signatures.importing import columns as import_columns
from app.signatures.importing import service as importing
from app.signatures.models import Signature, SignatureStatus, SignerKind, Source
from app.statements.models import Statement, TeamRole
from app.statements.team import service as team
from tests.factories import PASSWORD, make_statement, make_user, open_statement
from tests.helpers import csrf_from, sign_in

HEADERS = {
    "timestamp": "Timestamp",
    "email": "Email Address",
    "kind": "Signing as",
    "organisation": "Organization name",
    "acronym": "Acronym",
    "website": "Organization website",
    "country": "Country",
    "name": "Your name",
    "title": "Title / position",
    "listing": "How do you want to be listed?",
}
KO_FAMILY = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임"]
KO_GIVEN = ["민준", "서연", "지훈", "하은", "도윤", "수빈", "예준", "지우"]
EN_GIVEN = ["Anna", "James", "Maria", "David", "Sofia", "Hubert", "Grace", "Omar"]
EN_FAMILY = ["Smith", "Garcia", "Müller", "O'Brien", "Nguyen", "Lee", "Kowalski", "Dubois"]
ORG_WORDS = ["Citizens", "Alliance", "Human Rights", "Justice", "Network", "Solidarity", "Watch"]
COUNTRIES = [
    "KR",
    "KOR",
    "South Korea",
    "대한민국",
    "Germany",
    "DE",
    "독일",
    "United States",
    "USA",
    "미국",
    "Japan",
    "일본",
    "France",
    "fra",
    " the Netherlands ",
]
ORG_KINDS, PERSON_KINDS = ["Organization", "Organisation", "단체"], ["Individual", "개인"]
LISTINGS = ["Name", "Anonymous", "Counted only", "공개", "익명", ""]


def google_forms_csv(
    n: int, *, seed: int = 7, overrides: dict[int, dict[str, str]] | None = None
) -> bytes:
    """A Google Forms-style export: BOM, shuffled columns, English and Korean answers.
    `overrides` replaces values by spreadsheet row number (the header is row 1)."""
    rng = random.Random(seed)
    fields = list(HEADERS)
    rng.shuffle(fields)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([HEADERS[f] for f in fields])
    for i in range(n):
        is_org = rng.random() < 0.4
        korean = rng.random() < 0.5
        name = (
            rng.choice(KO_FAMILY) + rng.choice(KO_GIVEN)
            if korean
            else f"{rng.choice(EN_GIVEN)} {rng.choice(EN_FAMILY)}"
        )
        words = rng.sample(ORG_WORDS, 2)
        org = f"{words[0]} {words[1]} {i}" if is_org else ""
        row = {
            "timestamp": f"2025/03/{1 + i % 28:02d} 10:{i % 60:02d}:00 AM GMT+9",
            "email": f"signer{i}@example{i % 7}.org",
            "kind": rng.choice(ORG_KINDS if is_org else PERSON_KINDS),
            "organisation": org,
            "acronym": "".join(w[0] for w in org.split()[:2]) if is_org and i % 3 else "",
            "website": f"https://org{i}.example" if is_org else "",
            "country": rng.choice(COUNTRIES),
            "name": name,
            "title": rng.choice(["Director", "사무국장", ""]) if is_org else "",
            "listing": rng.choice(LISTINGS),
        }
        row.update((overrides or {}).get(i + 2, {}))
        writer.writerow([row[f] for f in fields])
    return out.getvalue().encode("utf-8-sig")


class _Forms(HTMLParser):
    """What a browser would send for each form on a page, keyed by the form's action."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, list[str]]] = {}
        self._form: dict[str, list[str]] | None = None
        self._select: list[str] = []  # name, then option values (the selected one first)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = self.forms.setdefault(a.get("action", ""), {})
        elif self._form is None:
            return
        elif tag == "input" and a.get("name") and a.get("type") not in ("file", "submit"):
            self._form.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self._select = [a["name"]]
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self._select.insert(1, value) if "selected" in a else self._select.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._form is not None and self._select:
            self._form.setdefault(self._select[0], []).append(self._select[1])
            self._select = []
        elif tag == "form":
            self._form = None


def form_of(page: Response, action: str) -> dict[str, list[str]]:
    parser = _Forms()
    parser.feed(page.text)
    assert action in parser.forms, f"no form posting to {action}"
    return parser.forms[action]


def upload(client: TestClient, slug: str, content: bytes, name: str = "responses.csv") -> Response:
    token = csrf_from(client.get(f"/statements/{slug}/import").text)
    response: Response = client.post(
        f"/statements/{slug}/import",
        data={"csrf_token": token, "encoding": "auto"},
        files={"file": (name, content, "text/csv")},
    )
    return response


def to_preview(
    client: TestClient, slug: str, content: bytes, name: str = "responses.csv", **choices: str
) -> Response:
    mapping = upload(client, slug, content, name)
    assert mapping.status_code == 200, mapping.text
    fields = form_of(mapping, f"/statements/{slug}/import/preview")
    fields.update({k: [v] for k, v in choices.items()})
    response: Response = client.post(f"/statements/{slug}/import/preview", data=fields)
    return response


def count(db: Session, model: type[Signature] | type[OutboxMessage]) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def lead(client: TestClient, db: Session) -> Iterator[Statement]:
    owner = make_user(db, email="lead@example.org")
    statement = open_statement(db, owner=owner, slug="hrc58")
    sign_in(client, "lead@example.org", PASSWORD)
    yield statement


def test_mapping_is_guessed_from_english_and_korean_headers() -> None:
    english = [
        "Timestamp",
        "Email Address",
        "Full name",
        "Organisation",
        "Acronym",
        "Website",
        "Country",
        "Position",
        "Affiliation",
        "Type",
        "How to be listed",
    ]
    assert list(import_columns.suggest_mapping(english).values()) == [
        "ignore",
        "email",
        "name",
        "organisation",
        "acronym",
        "website",
        "country",
        "title",
        "note",
        "kind",
        "listing",
    ]
    korean = ["타임스탬프", "이메일 주소", "성명", "단체명", "국가", "직책", "소속", "기관"]
    assert list(import_columns.suggest_mapping(korean).values()) == [
        "ignore",
        "email",
        "name",
        "organisation",
        "country",
        "title",
        "note",
        "ignore",
    ]
    assert import_columns.suggest_mapping(["Name of your organization", "Name"]) == {
        "Name of your organization": "organisation",
        "Name": "name",
    }
    for written, code in [
        ("KOR", "KR"),
        ("대한민국", "KR"),
        ("South Korea", "KR"),
        ("독일", "DE"),
        ("the Netherlands", "NL"),
        ("uk", "GB"),
        ("", ""),
    ]:
        assert import_columns.normal_country(written) == code, written
    assert import_columns.normal_country("Narnia") is None


def test_a_thousand_row_google_forms_export_imports(
    client: TestClient, db: Session, lead: Statement
) -> None:
    content = google_forms_csv(1000)
    assert content.startswith(b"\xef\xbb\xbf")
    preview = to_preview(client, "hrc58", content)
    assert preview.status_code == 200, preview.text
    assert "1000 signatures ready to import" in preview.text
    assert "0 rows with problems" in preview.text
    commit = form_of(preview, "/statements/hrc58/import/commit")
    done = client.post("/statements/hrc58/import/commit", data=commit, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/statements/hrc58/signatures"
    signatures = db.exec(select(Signature)).all()
    assert len(signatures) == 1000
    assert {(s.status, s.source) for s in signatures} == {(SignatureStatus.APPROVED, Source.IMPORT)}
    assert {s.country for s in signatures} == {"KR", "DE", "US", "JP", "FR", "NL"}
    orgs = [s for s in signatures if s.kind == SignerKind.ORGANISATION]
    assert orgs and all(s.authorised and s.organisation for s in orgs)
    assert any(s.acronym for s in orgs) and any(s.name.startswith("김") for s in signatures)
    assert count(db, OutboxMessage) == 0  # nobody is emailed
    event = db.exec(select(AuditEvent).where(col(AuditEvent.action) == "signatures imported")).one()
    assert event.detail == "imported 1000 signatures from responses.csv"


def test_a_file_with_bad_rows_imports_nothing_and_lists_them(
    client: TestClient, db: Session, lead: Statement
) -> None:
    bad = {
        4: {"email": "not-an-email"},
        17: {"country": "Narnia"},
        230: {"kind": "Organization", "organisation": ""},
    }
    preview = to_preview(client, "hrc58", google_forms_csv(300, overrides=bad))
    assert preview.status_code == 200
    assert "3 rows with problems" in preview.text
    for row in (4, 17, 230):
        assert f'id="row-{row}"' in preview.text
    assert "Please enter a valid email address." in preview.text
    assert "“Narnia” is not a country we know." in preview.text
    assert "Enter the organisation&#39;s name." in preview.text
    assert "/import/commit" not in preview.text  # no button to import
    # Forcing the commit anyway refuses the whole file and lists every bad row again.
    fields = form_of(preview, "/statements/hrc58/import/mapping") | {"skip_duplicates": ["1"]}
    refused = client.post("/statements/hrc58/import/commit", data=fields)
    assert refused.status_code == 422
    assert all(f'id="row-{row}"' in refused.text for row in (4, 17, 230))
    assert count(db, Signature) == 0
    # Going back to the columns keeps the choices made.
    back = client.post("/statements/hrc58/import/mapping", data=fields)
    assert back.status_code == 200
    assert form_of(back, "/statements/hrc58/import/preview")["default_listing"] == ["named"]


def test_duplicates_are_shown_and_skipped(client: TestClient, db: Session, lead: Statement) -> None:
    assert lead.id is not None
    db.add(
        Signature(
            statement_id=lead.id,
            kind=SignerKind.INDIVIDUAL,
            name="Already",
            email="dup@example.org",
            email_key=email_key("dup@example.org"),
            nonce="n",
            status=SignatureStatus.CONFIRMED,
        )
    )
    content = (
        "Email Address,Name,Type,Organisation,Country\n"
        "DUP@example.org,Again,Individual,,KR\n"
        "a@example.org,Ana,Individual,,DE\n"
        "a+list@example.org,Ana again,개인,,DE\n"
        "b@example.org,Ben,Individual,,FR\n"
        "a@example.org,Ana for her group,Organisation,Ana's Group,DE\n"
    ).encode()
    preview = to_preview(client, "hrc58", content, name="dups.csv")
    assert "3 signatures ready to import" in preview.text
    assert "2 duplicates, which will be skipped" in preview.text
    assert "Has already signed this statement (confirmed)" in preview.text
    assert "Same signer as row 3" in preview.text
    with pytest.raises(importing.ImportRejected) as refused:
        table = importing.parse(content.decode())
        importing.commit_import(
            db,
            statement=lead,
            actor=db.exec(select(User)).one(),
            rows=table.rows,
            mapping=dict(enumerate(["email", "name", "kind", "organisation", "country"])),
            defaults=importing.Defaults(),
            skip_duplicates=False,
        )
    assert set(refused.value.errors) == {"row-2", "row-4"}
    commit = form_of(preview, "/statements/hrc58/import/commit")
    done = client.post("/statements/hrc58/import/commit", data=commit, follow_redirects=False)
    assert done.status_code == 303
    imported = db.exec(select(Signature).where(col(Signature.source) == Source.IMPORT)).all()
    assert sorted((s.email, s.kind.value) for s in imported) == [
        ("a@example.org", "individual"),
        ("a@example.org", "organisation"),
        ("b@example.org", "individual"),
    ]
    event = db.exec(select(AuditEvent).where(col(AuditEvent.action) == "signatures imported")).one()
    assert event.detail == "imported 3 signatures from dups.csv; 2 duplicates skipped"


def test_the_carried_file_cannot_be_altered(
    client: TestClient, db: Session, lead: Statement
) -> None:
    other = make_statement(db, owner=db.exec(select(User)).one(), slug="other")
    mapping = upload(client, "hrc58", google_forms_csv(20))
    fields = form_of(mapping, "/statements/hrc58/import/preview")
    chunk = fields["upload"][0]
    middle = len(chunk) // 2
    flipped = chunk[:middle] + ("A" if chunk[middle] != "A" else "B") + chunk[middle + 1 :]
    tampered = fields | {"upload": [flipped]}
    assert client.post("/statements/hrc58/import/preview", data=tampered).status_code == 400
    # A genuine upload for one statement is no good for another.
    assert client.post(f"/statements/{other.slug}/import/preview", data=fields).status_code == 400
    assert client.post("/statements/hrc58/import/preview", data=fields).status_code == 200


def test_a_korean_excel_file_decodes_and_asks_for_the_kind(
    client: TestClient, db: Session, lead: Statement
) -> None:
    content = (
        "타임스탬프,이메일 주소,성명,국가,공개 여부\n"
        "2025. 3. 1 오전 10:00:00,minjun@example.kr,김민준,대한민국,익명\n"
        "2025. 3. 1 오전 10:05:00,seoyeon@example.kr,이서연,KOR,\n"
    ).encode("cp949")
    mapping = upload(client, "hrc58", content)
    assert mapping.status_code == 200
    assert "read as cp949" in mapping.text and "김민준" in mapping.text
    fields = form_of(mapping, "/statements/hrc58/import/preview")
    assert fields["column"] == ["ignore", "email", "name", "country", "listing"]
    missing_kind = client.post("/statements/hrc58/import/preview", data=fields)
    assert missing_kind.status_code == 422
    assert "choose whether the rows are organisations or individuals" in missing_kind.text
    preview = client.post(
        "/statements/hrc58/import/preview", data=fields | {"default_kind": ["individual"]}
    )
    assert "2 signatures ready to import" in preview.text


def test_only_editors_of_the_team_may_import(client: TestClient, db: Session) -> None:
    alice = make_user(db, email="alice@one.example")
    make_user(db, email="bob@two.example")
    ones = open_statement(db, owner=alice, slug="ones")
    sign_in(client, "bob@two.example", PASSWORD)
    assert client.get("/statements/ones/import").status_code == 404
    team.add_member(db, statement=ones, actor=alice, email="bob@two.example", role=TeamRole.VIEWER)
    assert client.get("/statements/ones/import").status_code == 403
    token = csrf_from(client.get("/statements/ones").text)
    files = {"file": ("x.csv", b"Email,Name\na@example.org,A\n", "text/csv")}
    sent = client.post("/statements/ones/import", data={"csrf_token": token}, files=files)
    assert sent.status_code == 403
    assert count(db, Signature) == 0


@pytest.fixture
def roomy_body_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the app allows for imports, let this test reach the import's own check."""
    monkeypatch.setattr(get_settings(), "max_body_bytes", 10_000_000)


def test_an_oversized_file_is_refused_clearly(
    roomy_body_limit: None, client: TestClient, lead: Statement
) -> None:
    content = b"Email,Name\n" + b"someone@example.org,Someone\n" * 200_000  # 5.6 MB
    refused = upload(client, "hrc58", content)
    assert refused.status_code == 413
    assert "The file is larger than 5 MB" in refused.text


def test_a_large_upload_travels_between_the_steps_in_pieces(
    roomy_body_limit: None, client: TestClient, lead: Statement
) -> None:
    rng = random.Random(3)
    lines = [f"p{i}@example.org,Person {i},{rng.randbytes(1500).hex()}" for i in range(500)]
    content = ("Email,Name,Comments\n" + "\n".join(lines)).encode()
    mapping = upload(client, "hrc58", content)
    fields = form_of(mapping, "/statements/hrc58/import/preview")
    assert len(fields["upload"]) > 1  # each piece under Starlette's 1 MB per field
    fields["default_kind"] = ["individual"]
    preview = client.post("/statements/hrc58/import/preview", data=fields)
    assert "500 signatures ready to import" in preview.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"a@example.org,Someone\nb@example.org,Else\n", "The first row must name the columns"),
        (b"Email;Name\n", "header row but no signatures"),
        (b"PK\x03\x04rest of a spreadsheet", "This is not a CSV file"),
    ],
)
def test_unreadable_files_are_explained(content: bytes, message: str) -> None:
    with pytest.raises(AppError) as refused:
        importing.parse(importing.decode(content)[0])
    assert message in refused.value.message


def test_delimiters_encodings_and_the_row_cap() -> None:
    table = importing.parse(importing.decode("Email;Name\na@x.org;Zoë\n".encode("cp1252"))[0])
    assert (table.delimiter, table.rows) == (";", [["a@x.org", "Zoë"]])
    assert importing.decode("이름\n김\n".encode("cp949"))[1] == "cp949"
    tabbed = importing.parse('Email\tName\na@x.org\t"Lee, Ann"\n')
    assert tabbed.rows == [["a@x.org", "Lee, Ann"]]
    with pytest.raises(BadRequest, match="more than 20,000 rows"):
        importing.parse("Email,Name\n" + "a@x.org,A\n" * 20_001)


# --- Yes/No questions -------------------------------------------------------------------

FIXTURES = Path(__file__).parents[1] / "fixtures" / "imports"


def _by_email(db: Session) -> dict[str, Signature]:
    return {s.email: s for s in db.exec(select(Signature))}


def _commit(client: TestClient, preview: Response) -> None:
    commit = form_of(preview, "/statements/hrc58/import/commit")
    done = client.post("/statements/hrc58/import/commit", data=commit, follow_redirects=False)
    assert done.status_code == 303, done.text


def test_yes_no_questions_in_english_are_read_and_the_preview_says_how(
    client: TestClient, db: Session, lead: Statement
) -> None:
    mapping = upload(client, "hrc58", (FIXTURES / "yes_no_en.csv").read_bytes())
    fields = form_of(mapping, "/statements/hrc58/import/preview")
    assert fields["column"] == [
        "ignore",
        "email",
        "name",
        "listing_anonymous_if_yes",
        "opt_in_updates",
        "ignore",  # "Do you agree to be listed?": what would "No" mean?
    ]
    # The column left out says why it can be read; the ones already read do not.
    assert mapping.text.count("choose what “Yes” means, or do not import this column") == 1
    preview = client.post(
        "/statements/hrc58/import/preview", data=fields | {"default_kind": ["individual"]}
    )
    assert "4 signatures ready to import" in preview.text
    assert "0 rows with problems" in preview.text
    assert "“Would you like to be listed anonymously?”: Yes → anonymous, No → by name" in (
        preview.text
    )
    assert (
        "“Would you like to receive news from the coalition?”: Yes → wants updates, "
        "No or empty → no updates" in preview.text
    )
    assert "Do you agree to be listed?" not in preview.text
    _commit(client, preview)
    signed = _by_email(db)
    assert {e: (s.listing.value, s.opt_in_updates) for e, s in signed.items()} == {
        "anna@example.org": ("named", True),
        "ben@example.org": ("anonymous", False),  # "No, thanks" is a no
        "cho@example.org": ("anonymous", False),
        "dana@example.org": ("named", False),
    }


def test_yes_no_questions_in_korean_are_read_and_the_preview_says_how_in_korean(
    client: TestClient, db: Session, lead: Statement
) -> None:
    client.get("/?lang=ko")
    mapping = upload(client, "hrc58", (FIXTURES / "yes_no_ko.csv").read_bytes())
    fields = form_of(mapping, "/statements/hrc58/import/preview")
    assert fields["column"] == [
        "ignore",
        "email",
        "name",
        "listing_anonymous_if_yes",
        "opt_in_updates",
        "ignore",  # "표기 여부": listed or not, but "아니요" could mean anonymous or counted
    ]
    preview = client.post(
        "/statements/hrc58/import/preview", data=fields | {"default_kind": ["individual"]}
    )
    assert preview.status_code == 200, preview.text
    assert "“익명으로 서명하시겠습니까?”: 예 → 익명, 아니요 → 실명" in preview.text
    assert "“앞으로 소식을 받아보시겠습니까?”: 예 → 소식 받기, 아니요 또는 빈칸 → 받지 않음" in (
        preview.text
    )
    _commit(client, preview)
    signed = _by_email(db)
    assert {e: (s.listing.value, s.opt_in_updates) for e, s in signed.items()} == {
        "minjun@example.kr": ("anonymous", False),
        "seoyeon@example.kr": ("named", True),
        "jihun@example.kr": ("anonymous", True),  # 네 is a yes
    }


def test_a_published_name_question_and_names_cleaned_like_the_sign_form(
    client: TestClient, db: Session, lead: Statement
) -> None:
    mapping = upload(client, "hrc58", (FIXTURES / "name_published_ko.csv").read_bytes())
    fields = form_of(mapping, "/statements/hrc58/import/preview")
    assert fields["column"] == [
        "email",
        "name",
        "listing_named_if_yes",
        "organisation",
        "website",
        "country",
    ]
    preview = client.post(
        "/statements/hrc58/import/preview", data=fields | {"default_kind": ["organisation"]}
    )
    assert "“공개 여부”: Yes → by name, No → anonymous" in preview.text
    _commit(client, preview)
    signed = _by_email(db)
    hana, minho, sara = (
        signed[e] for e in ("hana@example.kr", "minho@example.kr", "sara@example.org")
    )
    assert (hana.organisation, hana.listing.value, hana.website) == (
        "북한인권시민연합",
        "named",
        "nkhr.example.kr",
    )
    assert (minho.organisation, minho.listing.value) == ("Citizens Alliance", "anonymous")
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert (sara.organisation, sara.name) == (f"{family} Families", "سارا می\u200cخواهد")


def test_yes_no_answers_the_import_cannot_read_are_explained(
    client: TestClient, db: Session, lead: Statement
) -> None:
    content = (
        b"Email Address,Name,Would you like to be listed anonymously?\n"
        b"a@example.org,Ana,Yes\n"
        b"b@example.org,Ben,Maybe\n"
        b"c@example.org,Cy,No\n"
    )
    mapping = upload(client, "hrc58", content)
    fields = form_of(mapping, "/statements/hrc58/import/preview") | {"default_kind": ["individual"]}
    preview = client.post("/statements/hrc58/import/preview", data=fields)
    assert "1 row with problems" in preview.text
    assert "“Maybe” is neither yes nor no." in preview.text
    # Imported as a plain listing column, a Yes says what to do.
    plain = client.post(
        "/statements/hrc58/import/preview",
        data=fields | {"column": ["email", "name", "listing"]},
    )
    assert "3 rows with problems" in plain.text
    assert "“Yes” does not say how to be listed: in the column choices, choose what" in (plain.text)
    # One column for the listing, whichever way it is read.
    twice = client.post(
        "/statements/hrc58/import/preview",
        data=fields | {"column": ["listing", "name", "listing_named_if_yes"]},
    )
    assert twice.status_code == 422
    assert "Another column is already imported as this." in twice.text
    assert count(db, Signature) == 0


@pytest.mark.parametrize(
    ("header", "choice"),
    [
        ("Would you like to be listed anonymously?", "listing_anonymous_if_yes"),
        ("Anonymous?", "listing_anonymous_if_yes"),
        ("Should we keep your name private?", "listing_anonymous_if_yes"),
        ("Can we publish your name?", "listing_named_if_yes"),
        ("Would you prefer not to be named?", "ignore"),
        ("Do you agree to be listed?", "ignore"),
        ("Do you want updates?", "opt_in_updates"),
        ("Sign up for our newsletter", "opt_in_updates"),
        ("I agree to the privacy notice", "consent_privacy"),
        ("Are you authorised to sign on behalf of the organisation?", "authorised"),
        ("Are you a survivor?", "ignore"),
        ("Your name", "ignore"),  # a name column answered Yes/No is no name
        ("익명 희망", "listing_anonymous_if_yes"),
        ("실명 공개에 동의하십니까?", "listing_named_if_yes"),
        ("이름을 공개하지 않기를 원하십니까?", "ignore"),
        ("소식 수신", "opt_in_updates"),
        ("개인정보 수집 및 이용에 동의하십니까?", "consent_privacy"),
    ],
)
def test_a_yes_no_column_is_read_or_left_out(header: str, choice: str) -> None:
    rows = [["Yes"], ["No"], ["예"], ["아니요"], [""]]
    assert import_columns.suggest_mapping([header], rows=rows) == {header: choice}


def test_columns_with_other_answers_keep_their_guess() -> None:
    assert import_columns.suggest_mapping(
        ["How do you want to be listed?", "Your name"],
        rows=[["Anonymously", "No Hye-won"], ["By name", "No Chain"], ["Yes", "Y"]],
    ) == {"How do you want to be listed?": "listing", "Your name": "name"}


@pytest.mark.parametrize(
    ("answer", "meaning"),
    [
        ("Yes", True), ("yes please", True), ("Y", True), ("TRUE", True),
        ("Yes, anonymously", True), ("예", True), ("네", True),
        ("No", False), ("no", False), ("No, thanks", False), ("N", False),
        ("아니요", False), ("아니오", False), ("아뇨", False),
        ("Maybe", None), ("", None), ("Nope", None), ("네덜란드", None),
    ],
)  # fmt: skip
def test_yes_and_no_in_english_and_korean(answer: str, meaning: bool | None) -> None:
    assert import_columns.yes_no(answer) is meaning


def test_an_imported_website_is_checked_like_the_sign_form(db: Session, lead: Statement) -> None:
    rows = [
        ["a@example.org", "Ana", "Group A", "exa mple.org", "DE"],
        ["b@example.org", "Ben", "Group B", "javascript:alert(1)", "DE"],
        ["c@example.org", "Cy", f"Group{chr(0x200D)} C", "group-c.example", "DE"],
    ]
    result = importing.preview(
        db,
        statement=lead,
        rows=rows,
        mapping=dict(enumerate(["email", "name", "organisation", "website", "country"])),
        defaults=importing.Defaults(kind="organisation"),
    )
    message = "Enter the website as an address, like https://example.org"
    assert [r.errors.get("website") for r in result.rows] == [message, message, None]
    assert [r.clean.organisation for r in result.good if r.clean] == ["Group C"]
