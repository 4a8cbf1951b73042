"""The list in every format through the real pages: order, anonymity, inert payloads,
finalisation, reproducible exports, verification and team exports."""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.core.config import get_settings
from app.core.db import utcnow
from app.lists.final import service as finalise
from app.signatures.models import Signature, SignatureStatus
from app.statements.models import Statement, StatementStatus
from tests import hrc58
from tests.factories import PASSWORD, approve_signers, make_user, open_statement
from tests.helpers import csrf_from, sign_in, signature_with_email, submit

PAYLOADS = [
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil","x")',
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1+1",
    "عربي מימין",
    "😀 Emoji 👩‍👩‍👧",
    "x" * 300,
]


def _hrc58_statement(db: Session) -> Statement:
    owner = make_user(db)
    title, body = hrc58.title_and_body()
    statement = open_statement(
        db, owner=owner, slug="hrc58", title=title, body=body, list_order="individuals_first"
    )
    approve_signers(db, statement, hrc58.signers(), individuals_in_given_order=True)
    return statement


def _pdftotext(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        return subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], check=True, capture_output=True, text=True
        ).stdout


def _in_order(haystack: str, needles: list[str]) -> bool:
    position = 0
    for needle in needles:
        found = haystack.find(needle, position)
        if found < 0:
            return False
        position = found + len(needle)
    return True


def test_hrc58_block_in_pdf_docx_text_and_html_in_the_same_order(
    client: TestClient, db: Session
) -> None:
    _hrc58_statement(db)
    lines = hrc58.block_lines()
    names = [line.split(" (")[0] for line in lines]

    html = client.get("/s/hrc58/signatories").text
    assert _in_order(html, [line.replace("’", "’") for line in names])
    text = client.get("/s/hrc58/signatories.txt").text
    assert _in_order(text, lines)
    assert "Signatories (as of" in text
    document = Document(io.BytesIO(client.get("/s/hrc58/signatories.docx").content))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert _in_order(paragraphs, lines)
    pdf = " ".join(_pdftotext(client.get("/s/hrc58/signatories.pdf").content).split())
    assert _in_order(pdf, [" ".join(n.split()) for n in names])
    assert "(NKHR)" in pdf and "(TJWG)" in pdf
    assert "elder brother of missionary" in pdf


def test_anonymous_signers_appear_in_no_public_output(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="private")
    approve_signers(
        db,
        statement,
        [
            {
                "kind": "individual",
                "name": "Secret Escapee",
                "note": "hidden note",
                "country": "KR",
                "email": "s@example.org",
                "listing": "anonymous",
                "consent_privacy": "1",
            },
            {
                "kind": "organisation",
                "organisation": "Quiet Org",
                "acronym": "QO",
                "name": "Q",
                "country": "JP",
                "email": "q@example.org",
                "listing": "anonymous",
                "authorised": "1",
                "consent_privacy": "1",
            },
            {
                "kind": "individual",
                "name": "Just Counted",
                "country": "US",
                "email": "c@example.org",
                "listing": "counted",
                "consent_privacy": "1",
            },
            {
                "kind": "individual",
                "name": "Open Name",
                "country": "KR",
                "email": "o@example.org",
                "listing": "named",
                "consent_privacy": "1",
            },
        ],
    )
    outputs = {
        "page": client.get("/s/private").content,
        "list": client.get("/s/private/signatories").content,
        **{
            fmt: client.get(f"/s/private/signatories.{fmt}").content
            for fmt in ("csv", "txt", "md", "json", "docx", "xlsx")
        },
        "api": client.get("/api/v1/public/statements/private/signatures/summary").content,
    }
    outputs["pdf"] = _pdftotext(client.get("/s/private/signatories.pdf").content).encode()
    for name, data in outputs.items():
        readable = _readable(name, data)
        assert "Open Name" in readable, name
        for secret in (
            "Secret Escapee",
            "hidden note",
            "Quiet Org",
            "QO",
            "Just Counted",
            "s@example.org",
        ):
            assert secret not in readable, f"{secret!r} leaked in {name}"


def _readable(name: str, data: bytes) -> str:
    if name == "docx":
        return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    if name == "xlsx":
        book = load_workbook(io.BytesIO(data))
        return "\n".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row)
    return data.decode("utf-8-sig")


def test_hostile_names_are_inert_in_every_format(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="hostile", list_order="alphabetical")
    approve_signers(
        db,
        statement,
        [
            {
                "kind": "individual",
                "name": payload[:200],
                "country": "KR",
                "email": f"p{i}@example.org",
                "listing": "named",
                "consent_privacy": "1",
            }
            for i, payload in enumerate(PAYLOADS)
        ],
    )
    html = client.get("/s/hostile/signatories").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    rows = list(
        csv.reader(
            io.StringIO(client.get("/s/hostile/signatories.csv").content.decode("utf-8-sig"))
        )
    )
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t")), cell
    book = load_workbook(io.BytesIO(client.get("/s/hostile/signatories.xlsx").content))
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
    pdf = _pdftotext(client.get("/s/hostile/signatories.pdf").content)
    assert "<script>alert(1)</script>" in pdf  # shown as text, not interpreted
    assert client.get("/s/hostile/signatories.docx").status_code == 200


def _closed(db: Session, statement: Statement) -> None:
    statement.deadline_at = utcnow() - timedelta(minutes=1)
    statement.status = StatementStatus.CLOSED
    db.flush()


def test_finalise_freezes_signs_and_verifies(client: TestClient, db: Session) -> None:
    statement = _hrc58_statement(db)
    sign_in(client, "lead@example.org", PASSWORD)
    early = submit(client, "/statements/hrc58/finalise", confirm="hrc58")
    assert early.status_code == 409  # still open: close it first
    _closed(db, statement)
    assert submit(client, "/statements/hrc58/finalise", confirm="hrc58").status_code == 303
    snapshot = finalise.snapshot_for(db, statement=statement)
    assert snapshot is not None
    pdf = client.get("/s/hrc58/signatories.pdf").content
    assert hashlib.sha256(pdf).hexdigest() == snapshot.pdf_sha256
    assert snapshot.pdf_sha256 in client.get("/s/hrc58/final").text

    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        report = subprocess.run(["pdfsig", handle.name], capture_output=True, text=True)
    assert "Signature is Valid" in report.stdout

    # Later changes to signatures do not alter the final list; exports are byte-identical.
    first = {
        fmt: client.get(f"/s/hrc58/signatories.{fmt}").content
        for fmt in ("csv", "docx", "xlsx", "txt", "json", "pdf")
    }
    db.exec(select(Signature)).first().status = SignatureStatus.WITHDRAWN  # type: ignore[union-attr]
    db.flush()
    for fmt, data in first.items():
        assert client.get(f"/s/hrc58/signatories.{fmt}").content == data, fmt

    verified = client.get(f"/verify?sha256={snapshot.pdf_sha256}")
    assert "Authentic." in verified.text
    tampered = bytearray(pdf)
    tampered[len(tampered) // 2] ^= 0x01
    page = client.get("/verify")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/verify",
        data={"csrf_token": token},
        files={"document": ("copy.pdf", bytes(tampered), "application/pdf")},
    )
    assert "Not recognised." in response.text
    assert client.get("/verify?sha256=nothex").status_code == 400


def test_team_exports_are_for_the_team_and_audited(client: TestClient, db: Session) -> None:
    _hrc58_statement(db)
    make_user(db, email="outsider@example.org")
    sign_in(client, "outsider@example.org", PASSWORD)
    assert client.get("/statements/hrc58/export/team.csv").status_code == 404
    client.cookies.clear()
    assert (
        client.get("/statements/hrc58/export/team.csv", follow_redirects=False).status_code == 303
    )
    sign_in(client, "lead@example.org", PASSWORD)
    response = client.get("/statements/hrc58/export/team.csv")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "org9@example.org" in response.content.decode("utf-8-sig")
    xlsx = client.get("/statements/hrc58/export/team.xlsx")
    assert xlsx.status_code == 200
    events = db.exec(
        select(AuditEvent.detail).where(col(AuditEvent.action) == "team export downloaded")
    ).all()
    assert sorted(events) == ["team.csv", "team.xlsx"]


@pytest.mark.parametrize("fmt", ["pdf", "docx", "csv", "xlsx", "txt", "md", "json"])
def test_every_format_downloads(client: TestClient, db: Session, fmt: str) -> None:
    _hrc58_statement(db)
    response = client.get(f"/s/hrc58/signatories.{fmt}")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert len(response.content) > 100
    assert Path(response.headers["content-disposition"].split('"')[1]).suffix == f".{fmt}"


def test_a_draft_has_no_public_list(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    from tests.factories import make_statement

    make_statement(db, owner=owner, slug="drafty")
    assert client.get("/s/drafty/signatories").status_code == 404
    assert client.get("/s/drafty/signatories.pdf").status_code == 404
    assert client.get("/s/drafty/final").status_code == 404


def test_team_rows_read_from_the_database_match_each_signature(db: Session) -> None:
    """The team export reads plain columns (not ORM objects): each value, the public line
    (display corrections, anonymous and counted-only signers) and UTC times survive."""
    from app.lists.exports import team
    from app.lists.renderers import csvs
    from app.signatures.models import Signature
    from tests.factories import approve_signers, individual, open_statement, organisation

    statement = open_statement(db, owner=make_user(db), slug="team-rows")
    approve_signers(
        db,
        statement,
        [
            organisation(),
            organisation(organisation="Hidden Group", email="h@example.org", listing="anonymous"),
            individual(email="counted@example.org", listing="counted"),
            individual(name="Lee Young-hee", email="yh@example.org", note=""),
        ],
    )
    corrected = signature_with_email(db, "yh@example.org")
    corrected.display_name = "Lee Younghee"
    db.add(corrected)
    db.flush()
    stored = db.exec(
        select(Signature)
        .where(col(Signature.statement_id) == statement.id)
        .order_by(col(Signature.id))
    ).all()
    rows = list(team.team_rows(db, statement=statement))
    assert [r.public_line for r in rows] == [
        "Transitional Justice Working Group (TJWG)",
        "An organisation",
        "",
        "Lee Younghee",
    ]
    assert [(r.kind, r.status, r.listing, r.source) for r in rows] == [
        (s.kind.value, s.status.value, s.listing.value, s.source.value) for s in stored
    ]
    assert [r.email for r in rows] == [s.email for s in stored]
    assert [r.name for r in rows][3] == "Lee Young-hee"  # the signer's own name is kept
    assert [csvs.utc_text(r.submitted_at) for r in rows] == [
        csvs.utc_text(s.submitted_at) for s in stored
    ]
    assert all(r.version_confirmed is None or r.version_confirmed >= 1 for r in rows)


def test_a_pdf_over_the_usual_body_limit_can_be_checked(client: TestClient) -> None:
    # A final PDF with its translations is often several megabytes: /verify has its own limit.
    pdf = b"%PDF-1.7\n" + b"0" * (get_settings().max_body_bytes + 500_000)
    token = csrf_from(client.get("/verify").text)
    response = client.post(
        "/verify",
        data={"csrf_token": token},
        files={"document": ("large.pdf", pdf, "application/pdf")},
    )
    assert response.status_code == 200
    assert "Not recognised." in response.text


def test_a_pdf_over_the_verify_limit_is_refused(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "verify_upload_max_bytes", 100_000)
    token = csrf_from(client.get("/verify").text)
    response = client.post(
        "/verify",
        data={"csrf_token": token},
        files={"document": ("large.pdf", b"%PDF" + b"0" * 200_000, "application/pdf")},
    )
    assert response.status_code == 413
