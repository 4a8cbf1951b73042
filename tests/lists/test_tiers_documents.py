"""The two seed lists rebuilt by signing, as the issue asks: the UN plenary sentence
("on behalf of 36 civil society partners representing over 300 organisations in 116
countries, including …") and the HRC58 block under its own heading and "as of" date —
checked in the page, the text export, the PDF (pdftotext) and the DOCX.

Some signers go through the real public form and confirm by the emailed link; the other
hundreds are cleaned by the form's own function and stored approved (posting 300 forms
would make the test slow without testing anything more)."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile

from docx import Document
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.accounts.tokens import service as tokens
from app.lists import service as lists
from app.signatures import countries
from app.signatures.models import Signature
from app.statements.groups import service as groups
from app.statements.models import Statement
from tests import hrc58
from tests.factories import approve_signers, make_user, open_statement, organisation
from tests.helpers import mail_to, run_signing_worker, submit

UN_EXAMPLE = hrc58.EXAMPLES / "un-plenary-civil-society-statement.txt"


def un_partners() -> list[str]:
    """The partners the UN speech names, as it names them."""
    spoken = UN_EXAMPLE.read_text(encoding="utf-8")
    listed = re.search(r"countries, including (.+?)\.\n", spoken)
    assert listed
    names = [name.strip() for name in listed.group(1).split(", ")]
    names[0] = names[0].removeprefix("the ")
    names[-1] = names[-1].removeprefix("and ")
    return names


def _pdftotext(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        out = subprocess.run(
            ["pdftotext", handle.name, "-"], check=True, capture_output=True, text=True
        ).stdout
    return " ".join(out.split())


def _sign_through_the_form(
    client: TestClient, db: Session, slug: str, values: dict[str, str]
) -> None:
    """The public form, then the confirmation link from the email the worker writes."""
    assert submit(client, f"/s/{slug}/sign", **values).status_code in (200, 303)
    run_signing_worker(db)
    message = mail_to(db, values["email"])[-1]
    assert message is not None
    link = re.search(r"http://testserver(/confirm/\S+)", message.text_body)
    assert link, message.text_body
    assert submit(client, link.group(1)).status_code == 200


def _org(n: int, name: str, country: str) -> dict[str, str]:
    return organisation(
        organisation=name, acronym="", website=f"https://org{n}.example.org",
        email=f"contact{n}@org{n}.example.org", country=country, name=f"Director {n}",
    )  # fmt: skip


def _un_statement(client: TestClient, db: Session, lead: User) -> Statement:
    statement = open_statement(db, owner=lead, slug="un-plenary", moderation="auto_all")
    partners = un_partners()
    assert len(partners) == 35  # the speech names 35 of its 36 partners
    codes = [code for code, _name in countries.options()][:116]
    partner_values = [
        _org(n, name, codes[n % len(codes)]) for n, name in enumerate([*partners, "Korea Future"])
    ]
    others = [_org(100 + n, f"Member organisation {n:03d}", codes[n % 116]) for n in range(276)]
    for values in partner_values[:4]:  # the first few as any signer would
        _sign_through_the_form(client, db, statement.slug, values)
    approve_signers(db, statement, partner_values[4:] + others)
    lead_groups = groups.groups_for(db, statement=statement)
    partner_group = groups.add_group(db, statement=statement, actor=lead, name="Partners")
    groups.move_group(db, statement=statement, actor=lead, group_id=partner_group.id or 0, up=True)
    emails = {values["email"] for values in partner_values}
    ids = [
        s.id or 0
        for s in db.exec(select(Signature).where(col(Signature.statement_id) == statement.id))
        if s.email in emails
    ]
    assert (
        groups.assign_signatures(
            db, statement=statement, actor=lead, signature_ids=ids, group_id=partner_group.id or 0
        )
        == 36
    )
    groups.update_list_settings(
        db, statement=statement, actor=lead,
        data=groups.ListSettings(prose_group_id=partner_group.id, prose_step=100),
    )  # fmt: skip
    assert lead_groups[0].is_default  # new signatures still go to "Signatories"
    return statement


def test_the_un_sentence_from_36_partners_among_312_organisations(
    client: TestClient, db: Session
) -> None:
    lead = make_user(db)
    statement = _un_statement(client, db, lead)
    sentence = lists.speech(db, statement=statement)
    assert sentence.startswith(
        "on behalf of 36 civil society partners representing over 300 organisations in 116 "
        "countries, including Association for the Rescue of North Korea Abductees, Centro para "
        "la Apertura y el Desarrollo de America Latina, Christian Solidarity Worldwide, "
    )
    assert sentence.endswith("Unification Academy, Unification Media Group, and UNISEED.")
    assert all(name in sentence for name in un_partners())
    assert "Member organisation" not in sentence
    model = lists.build(db, statement=statement)
    assert [(t.heading, t.counts.organisations) for t in model.tiers] == [
        ("Partners", 36),
        ("Signatories", 276),
    ]
    assert model.counts.countries == 116
    page = client.get("/s/un-plenary/signatories").text
    assert "<h2>Partners</h2>" in page and "36 organisations from" in page
    plain = client.get("/s/un-plenary/signatories.txt").text
    assert "Partners (36 organisations from" in plain
    assert plain.index("UNISEED") < plain.index("Signatories (276 organisations from")
    pdf = _pdftotext(client.get("/s/un-plenary/signatories.pdf").content)
    assert "Partners" in pdf and "36 organisations from" in pdf
    assert "Coordinated by" in pdf and "Transitional Justice Working Group" in pdf
    document = Document(io.BytesIO(client.get("/s/un-plenary/signatories.docx").content))
    headings = [
        p.text for p in document.paragraphs if p.style and p.style.name.startswith("Heading")
    ]
    assert "Partners" in headings and "Signatories" in headings
    assert "Coordinated by" in headings
    # The same sentence from the API and the team page.
    from_api = client.get(
        "/api/v1/statements/un-plenary/prose",
        headers={"Authorization": f"Bearer {_token(db, lead)}"},
    )
    assert from_api.json() == {"language": "en", "prose": sentence}


def _token(db: Session, lead: User) -> str:
    _row, secret = tokens.create_token(db, user=lead, name="test")
    return secret


def test_the_hrc58_block_with_its_own_heading_and_date(client: TestClient, db: Session) -> None:
    lead = make_user(db)
    statement = open_statement(
        db, owner=lead, slug="hrc58", list_order="individuals_first", moderation="auto_all"
    )
    signers = hrc58.signers()
    organisation_values = [v for v in signers if v["kind"] == "organisation"]
    _sign_through_the_form(client, db, "hrc58", organisation_values[0])
    approve_signers(db, statement, [v for v in signers if v is not organisation_values[0]])
    for position, signature in enumerate(
        s
        for s in db.exec(
            select(Signature)
            .where(col(Signature.statement_id) == statement.id)
            .order_by(col(Signature.id))
        )
        if s.kind == "individual"
    ):
        signature.position = position
    groups.update_list_settings(
        db, statement=statement, actor=lead,
        data=groups.ListSettings(heading="Signature organizations and individuals",
                                 as_of="2025-03-14", sort="name"),
    )  # fmt: skip
    heading = "Signature organizations and individuals (as of March 14, 2025)"
    lines = hrc58.block_lines()
    page = client.get("/s/hrc58/signatories").text
    assert f"<h1>{heading}</h1>" in page
    plain = client.get("/s/hrc58/signatories.txt").text
    assert heading in plain
    # After the coordinators (also signatories) and the heading: the block in its order.
    listed = [line for line in plain.split(heading, 1)[1].splitlines() if line in lines]
    assert listed == lines
    pdf = _pdftotext(client.get("/s/hrc58/signatories.pdf").content)
    assert heading in pdf
    position = pdf.index(heading)
    for line in lines:
        position = pdf.index(" ".join(line.split()), position)
    document = Document(io.BytesIO(client.get("/s/hrc58/signatories.docx").content))
    paragraphs = [p.text for p in document.paragraphs]
    assert heading in paragraphs
    after = paragraphs[paragraphs.index(heading) :]
    assert [p for p in after if p in lines] == lines
