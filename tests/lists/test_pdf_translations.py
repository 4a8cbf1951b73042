"""The PDF can carry chosen translations after the original text: each headed by its
language's name, its footnotes its own, then the one signatory list. The lead chooses
which; the draft export and the final, signed document both follow that choice."""

from __future__ import annotations

import re
import subprocess
import tempfile
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict
from app.lists import service as lists
from app.lists.data import TranslatedText
from app.lists.final import service as finalise
from app.lists.renderers import pdf
from app.statements.models import Statement, StatementStatus
from app.statements.translations import service as translations
from app.statements.translations.service import TranslationInput
from tests.factories import PASSWORD, approve_signers, individual, make_user, open_statement
from tests.helpers import sign_in, submit
from tests.lists import samples

KO = TranslationInput(
    title="구금자에 관한 공동성명",
    summary="구금자의 석방을 촉구합니다.",
    addressed_to="인권이사회 이사국",
    body="우리는 **모든 국가**에 행동을 촉구합니다[^1].\n\n감사합니다.\n\n[^1]: 결의안 79/181.",
)
FR = TranslationInput(
    title="Déclaration commune sur les détenus",
    addressed_to="États membres du Conseil des droits de l'homme",
    body="Nous appelons **tous les États** à agir.\n\nMerci.",
)


def _text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        out = subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], check=True, capture_output=True, text=True
        ).stdout
    return re.sub(r"\s+", " ", out)


def _in_order(haystack: str, needles: list[str]) -> None:
    position = 0
    for needle in needles:
        found = haystack.find(needle, position)
        assert found >= 0, f"{needle!r} missing after position {position}"
        position = found + len(needle)


def test_the_pdf_prints_the_original_then_each_translation_then_the_list() -> None:
    model = samples.hrc58_list()
    carried = (
        TranslatedText(
            language="ko",
            heading="한국어 (Korean)",
            note="Translation. The text signed is the original, above.",
            title=KO.title,
            addressed_to=KO.addressed_to,
            to_label="수신:",
            body_markdown=KO.body,
        ),
        TranslatedText(
            language="fr",
            heading="Français (French)",
            note="Translation. The text signed is the original, above.",
            title=FR.title,
            addressed_to=FR.addressed_to,
            to_label="To:",
            body_markdown=FR.body,
        ),
    )
    text = _text(pdf.render_pdf(model, translations=carried))
    _in_order(
        text,
        [
            model.title,
            "한국어 (Korean)",
            "구금자에 관한 공동성명",
            "인권이사회 이사국",
            "우리는 모든 국가에 행동을 촉구합니다",
            "결의안 79/181.",
            "Français (French)",
            "Déclaration commune sur les détenus",
            "Nous appelons tous les États à agir.",
            model.heading,
            model.entries[0].name,
        ],
    )
    # Without a choice the document is what it always was.
    assert "한국어" not in _text(pdf.render_pdf(model))


@pytest.fixture
def statement(db: Session) -> Statement:
    owner = make_user(db, email="lead@example.org")
    statement = open_statement(db, owner=owner, slug="hrc58")
    for language, data in (("ko", KO), ("fr", FR)):
        translations.save_translation(
            db, statement=statement, actor=owner, language=language, data=data
        )
    approve_signers(db, statement, [individual()])
    return statement


def test_the_lead_chooses_among_the_published_translations(
    db: Session, statement: Statement
) -> None:
    owner = make_user(db, email="other@example.org")
    assert translations.chosen_for_document(statement) == []
    translations.choose_for_document(db, statement=statement, actor=owner, languages=["ko"])
    assert translations.chosen_for_document(statement) == ["ko"]
    with pytest.raises(BadRequest):  # no translation into German exists
        translations.choose_for_document(db, statement=statement, actor=owner, languages=["de"])
    carried = lists.document_translations(db, statement=statement)
    assert [(t.language, t.heading, t.title) for t in carried] == [
        ("ko", "한국어 (Korean)", KO.title)
    ]


def test_the_draft_export_and_the_final_document_carry_the_choice(
    client: TestClient, db: Session, statement: Statement
) -> None:
    sign_in(client, "lead@example.org", PASSWORD)
    page = client.get("/statements/hrc58/translations")
    assert 'name="include"' in page.text and 'value="ko"' in page.text
    response = submit(
        client,
        "/statements/hrc58/translations",
        action="/statements/hrc58/translations/document",
        include=["ko", "fr"],
    )
    assert response.status_code == 303
    assert translations.chosen_for_document(statement) == ["fr", "ko"]
    exports = client.get("/statements/hrc58/exports?lang=en").text
    assert "French" in exports and "Korean" in exports

    draft = _text(client.get("/s/hrc58/signatories.pdf").content)
    _in_order(draft, ["Joint statement on detainees", "Français", "한국어", "구금자에 관한", "Kim"])

    statement.deadline_at = utcnow() - timedelta(minutes=1)
    statement.status = StatementStatus.CLOSED
    db.flush()
    finalised = submit(client, "/statements/hrc58/finalise", confirm="hrc58")
    assert finalised.status_code == 303
    snapshot = finalise.snapshot_for(db, statement=statement)
    assert snapshot is not None
    final = _text(snapshot.pdf)
    _in_order(final, ["Joint statement on detainees", "한국어", "우리는 모든 국가에", "Kim"])
    # The final document's translations are fixed with it.
    with pytest.raises(Conflict):
        translations.choose_for_document(
            db, statement=statement, actor=make_user(db, email="x@example.org"), languages=[]
        )
