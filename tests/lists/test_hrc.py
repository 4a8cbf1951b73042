"""UN Human Rights Council written statements: organisations state their ECOSOC status
(sign form, import, lead's correction), the list is laid out by status with the others in
a footnote, the word count is held against the limit of the lowest status, and the layout
downloads as DOCX (read back here with python-docx)."""

from __future__ import annotations

import io

import pytest
from docx import Document
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.lists import service as lists
from app.lists.exports import team
from app.lists.final import service as finalise
from app.lists.hrc import service as hrc
from app.lists.renderers import csvs
from app.signatures.importing import columns as import_columns
from app.signatures.models import EcosocStatus, Signature
from app.statements.models import Statement
from tests.factories import (
    PASSWORD,
    approve_signers,
    individual,
    make_user,
    open_statement,
    organisation,
)
from tests.helpers import csrf_from, sign_in, signature_where, submit
from tests.lists.test_tiers_documents import _sign_through_the_form


def _org(n: int, name: str, status: str, **extra: str) -> dict[str, str]:
    return organisation(
        organisation=name, acronym="", website=f"https://org{n}.example.org",
        email=f"contact{n}@org{n}.example.org", name=f"Director {n}", ecosoc_status=status,
        **extra,
    )  # fmt: skip


@pytest.fixture
def lead(db: Session) -> User:
    return make_user(db)


def _statement(db: Session, lead: User, *, words: int = 300, language: str = "en") -> Statement:
    body = " ".join(["word"] * (words - 3)) + " [link](https://example.org/a-b-c) end's well-known"
    statement = open_statement(
        db, owner=lead, slug=f"hrc-{language}", body=body, moderation="auto_all", language=language
    )
    approve_signers(
        db,
        statement,
        [
            _org(1, "Alpha General", "general"),
            _org(2, "Beta Roster", "roster"),
            _org(3, "Gamma None", "none"),
            _org(4, "Delta Unstated", ""),
            _org(5, "Epsilon Hidden", "general", listing="anonymous"),
            individual(email="person@example.org"),
        ],
    )
    return statement


def test_the_sign_form_takes_the_status_and_the_layout_groups_by_it(
    client: TestClient, db: Session, lead: User
) -> None:
    statement = _statement(db, lead)
    db.commit()
    _sign_through_the_form(client, db, statement.slug, _org(6, "Zeta Special", "special"))
    signed = signature_where(db, organisation="Zeta Special")
    assert signed.ecosoc_status == EcosocStatus.SPECIAL
    # A status that is not offered is the form again with its error, not a 500.
    refused = submit(client, f"/s/{statement.slug}/sign", **_org(7, "Eta", "observer"))
    assert refused.status_code == 422
    assert "Choose one of the consultative statuses offered." in refused.text

    layout = hrc.layout(lists.build(db, statement=statement))
    assert [(g.status, g.names) for g in layout.groups] == [
        ("general", ("Alpha General",)),
        ("special", ("Zeta Special",)),
        ("roster", ("Beta Roster",)),
    ]
    assert layout.groups[0].heading == (
        "Non-governmental organization in general consultative status"
    )
    # Individuals and anonymous organisations are not co-sponsors.
    assert layout.without == ("Delta Unstated", "Gamma None")
    assert layout.footnote == (
        "The following non-governmental organizations without consultative status also share "
        "the views expressed in this statement: Delta Unstated, Gamma None."
    )
    # The lowest status (roster) sets the limit; the link's address is not counted.
    assert (layout.lowest, layout.limit, layout.words, layout.over) == ("roster", 1500, 300, False)


def test_the_limit_follows_the_lowest_status_and_the_page_warns(
    client: TestClient, db: Session, lead: User
) -> None:
    statement = _statement(db, lead, words=1800)
    layout = hrc.layout(lists.build(db, statement=statement))
    assert (layout.limit, layout.over) == (1500, True)
    only_general = hrc.layout(
        lists.build(db, statement=statement).__class__(
            **{
                **lists.build(db, statement=statement).__dict__,
                "groups": tuple(
                    g.__class__(
                        kind=g.kind,
                        heading=g.heading,
                        entries=tuple(e for e in g.entries if e.ecosoc == "general"),
                        tier=g.tier,
                    )
                    for g in lists.build(db, statement=statement).groups
                ),
            }
        )
    )
    assert (only_general.lowest, only_general.limit, only_general.over) == ("general", 2000, False)
    db.commit()
    sign_in(client, lead.email, PASSWORD)
    page = client.get(f"/statements/{statement.slug}/list")
    assert page.status_code == 200
    assert (
        "The text has 1,800 words. The limit is 1,500 words, for the lowest status among the "
        "co-sponsors (On the roster)." in page.text
    )
    assert "Over the limit by 300 words." in page.text
    korean = client.get(f"/statements/{statement.slug}/list?lang=ko")
    assert "단어" in korean.text and "300" in korean.text
    finalise_page = client.get(f"/statements/{statement.slug}/finalise?lang=en")
    assert "Over the limit by 300 words." in finalise_page.text


def _docx_text(data: bytes) -> list[tuple[str, str]]:
    document = Document(io.BytesIO(data))
    return [(p.style.name if p.style else "", p.text) for p in document.paragraphs if p.text]


@pytest.mark.parametrize(
    ("language", "heading", "footnote"),
    [
        (
            "en",
            "Non-governmental organization on the roster",
            "* The following non-governmental organizations without consultative status also "
            "share the views expressed in this statement: Delta Unstated, Gamma None.",
        ),
        (
            "ko",
            "명부(Roster)에 등재된 비정부기구",
            "* 협의 지위가 없는 다음 비정부기구들도 이 성명에 표현된 견해를 공유합니다: "
            "Delta Unstated, Gamma None.",
        ),
    ],
)
def test_the_hrc_layout_downloads_as_docx(
    client: TestClient, db: Session, lead: User, language: str, heading: str, footnote: str
) -> None:
    statement = _statement(db, lead, language=language)
    db.commit()
    sign_in(client, lead.email, PASSWORD)
    response = client.get(f"/statements/{statement.slug}/list/hrc.docx")
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith(f'{statement.slug}-hrc.docx"')
    paragraphs = _docx_text(response.content)
    assert paragraphs[0] == ("Title", "Joint statement on detainees*")
    assert ("Heading 3", heading) in paragraphs
    names = [text for style, text in paragraphs if style == "List"]
    assert names == ["Alpha General", "Beta Roster"]
    assert paragraphs[-1] == ("Normal", footnote)
    assert "Epsilon" not in response.text and "Kim Jeong-sam" not in str(paragraphs)
    # The same bytes each time (a final statement's exports are reproducible).
    assert client.get(f"/statements/{statement.slug}/list/hrc.docx").content == response.content


def test_the_lead_corrects_a_status_until_the_statement_is_final(
    client: TestClient, db: Session, lead: User
) -> None:
    statement = _statement(db, lead)
    db.commit()
    gamma = signature_where(db, organisation="Gamma None")
    sign_in(client, lead.email, PASSWORD)
    page = f"/statements/{statement.slug}/signatures/{gamma.id}"
    done = submit(client, page, f"{page}/ecosoc", ecosoc_status="special")
    assert done.status_code == 303
    db.refresh(gamma)
    assert gamma.ecosoc_status == EcosocStatus.SPECIAL
    event = db.exec(
        select(AuditEvent).where(col(AuditEvent.action) == "signature ecosoc corrected")
    ).one()
    assert event.detail == f"#{gamma.id}: none → special"
    token = csrf_from(client.get(page).text)
    bad = client.post(f"{page}/ecosoc", data={"csrf_token": token, "ecosoc_status": "vip"})
    assert bad.status_code == 422
    person = db.exec(select(Signature).where(col(Signature.kind) == "individual")).one()
    not_org = client.post(
        f"/statements/{statement.slug}/signatures/{person.id}/ecosoc",
        data={"csrf_token": token, "ecosoc_status": "general"},
    )
    assert not_org.status_code == 422
    statement.status = statement.status.__class__("closed")
    db.add(statement)
    db.commit()
    finalise.finalise(db, statement=statement, actor=lead)
    db.commit()
    late = client.post(f"{page}/ecosoc", data={"csrf_token": token, "ecosoc_status": "none"})
    assert late.status_code == 409
    # The final document's layout comes from the frozen list, with the status frozen too.
    frozen = hrc.layout(lists.public_list(db, statement=statement))
    assert [g.status for g in frozen.groups] == ["general", "special", "roster"]


def test_the_team_export_and_the_import_carry_the_status(db: Session, lead: User) -> None:
    statement = _statement(db, lead)
    exported = b"".join(csvs.iter_team_csv_batches(team.team_batches(db, statement=statement)))
    header, *rows = exported.decode("utf-8-sig").splitlines()
    assert "ECOSOC status" in header.split(",")
    assert any("Alpha General" in row and ",general," in row for row in rows)
    assert import_columns.suggest_mapping(["ECOSOC consultative status"]) == {
        "ECOSOC consultative status": "ecosoc_status"
    }
    readings = {
        value: import_columns.normal_ecosoc(value)
        for value in ("General consultative status", "특별 협의 지위", "Roster", "No", "none", "?")
    }
    assert readings == {
        "General consultative status": EcosocStatus.GENERAL,
        "특별 협의 지위": EcosocStatus.SPECIAL,
        "Roster": EcosocStatus.ROSTER,
        "No": EcosocStatus.NONE,
        "none": EcosocStatus.NONE,
        "?": None,
    }
