"""Translations of a statement's text: their own version history, the team's pages, the
public page's choice of text, and one list of signatures whatever the language read."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.core.errors import FieldErrors
from app.mail.models import OutboxMessage
from app.signatures.models import Signature, SignatureStatus, SignerKind
from app.signatures.reconsent import service as reconsent
from app.statements import service as statements
from app.statements.models import StatementVersion, TeamRole
from app.statements.team import service as team
from app.statements.translations import service as translations
from app.statements.translations.service import TranslationInput
from tests.factories import PASSWORD, make_statement, make_user, open_statement, statement_input
from tests.helpers import sign_in, submit

KO = TranslationInput(
    title="구금자에 관한 공동성명",
    summary="구금자의 석방을 촉구합니다.",
    addressed_to="인권이사회 이사국",
    body="우리는 **모든 국가**에 행동을 촉구합니다.\n\n감사합니다.",
)


def test_a_draft_translation_is_edited_in_place(db: Session) -> None:
    owner = make_user(db)
    statement = make_statement(db, owner=owner, slug="draft-ko")
    first = translations.save_translation(
        db, statement=statement, actor=owner, language="ko", data=KO
    )
    assert first is not None and (first.number, first.language) == (1, "ko")
    changed = KO.model_copy(update={"title": "구금자에 관한 연명 성명"})
    again = translations.save_translation(
        db, statement=statement, actor=owner, language="ko", data=changed
    )
    assert again is not None and again.id == first.id and again.number == 1
    assert translations.languages(db, statement=statement) == ["ko"]
    # The original is untouched and still the statement's current version.
    assert statements.current_version(db, statement=statement).title == (
        "Joint statement on detainees"
    )


def test_after_opening_each_change_is_a_version_of_its_own(db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="open-ko")
    first = translations.save_translation(
        db, statement=statement, actor=owner, language="ko", data=KO
    )
    assert first is not None and first.number == 1
    # Saving the same text again writes nothing.
    assert (
        translations.save_translation(db, statement=statement, actor=owner, language="ko", data=KO)
        is None
    )
    second = translations.save_translation(
        db,
        statement=statement,
        actor=owner,
        language="ko",
        data=KO.model_copy(update={"body": KO.body + "\n\n추가 문단."}),
        change_note="문단 추가",
    )
    assert second is not None and (second.number, second.change_note) == (2, "문단 추가")
    assert [v.number for v in translations.history(db, statement=statement, language="ko")] == [
        2,
        1,
    ]
    assert translations.for_reader(db, statement=statement, language="ko").id == second.id
    assert translations.for_reader(db, statement=statement, language="fr").language == "en"
    # Versions are numbered per language: the original's history is its own.
    assert [v.number for v in statements.list_versions(db, statement=statement)] == [1]


def test_bad_languages_are_refused(db: Session) -> None:
    owner = make_user(db)
    statement = make_statement(db, owner=owner, slug="bad-lang")
    for code in ("en", "KO", "korean!", ""):
        with pytest.raises(FieldErrors) as caught:
            translations.save_translation(
                db, statement=statement, actor=owner, language=code, data=KO
            )
        assert "language" in caught.value.errors
    with pytest.raises(FieldErrors) as caught:
        translations.save_translation(
            db,
            statement=statement,
            actor=owner,
            language="ko",
            data=TranslationInput(title="", body="<script>x</script>"),
        )
    assert {"title", "body"} <= set(caught.value.errors)


def test_a_translation_is_outdated_once_the_original_changes(db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="outdated")
    translations.save_translation(db, statement=statement, actor=owner, language="ko", data=KO)
    [fresh] = translations.list_translations(db, statement=statement)
    assert not fresh.outdated and fresh.name == "Korean"
    statements.update_statement(
        db,
        statement=statement,
        actor=owner,
        data=statement_input(slug="outdated", body="We call upon **every State** to act."),
        change_note="every State",
        material=True,
    )
    [stale] = translations.list_translations(db, statement=statement)
    assert stale.outdated


def test_translations_do_not_start_or_confuse_reconsent(db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="reconsent-ko")
    assert statement.id is not None
    original = statements.current_version(db, statement=statement)
    signature = Signature(
        statement_id=statement.id,
        kind=SignerKind.INDIVIDUAL,
        status=SignatureStatus.APPROVED,
        name="Kim",
        email="kim@example.org",
        email_key="kim@example.org",
        nonce="n",
        locale="ko",
        version_id=original.id,
    )
    db.add(signature)
    db.flush()
    translated = translations.save_translation(
        db, statement=statement, actor=owner, language="ko", data=KO
    )
    assert translated is not None
    assert reconsent.start_round(db, statement=statement, actor=owner, version=translated) == 0
    assert reconsent.latest_material_version(db, statement=statement) is None
    version = statements.update_statement(
        db,
        statement=statement,
        actor=owner,
        data=statement_input(slug="reconsent-ko", body="We call upon **every State** to act."),
        change_note="every State",
        material=True,
    )
    assert version is not None
    assert reconsent.start_round(db, statement=statement, actor=owner, version=version) == 1
    [asked] = db.exec(select(OutboxMessage).where(col(OutboxMessage.kind) == "reconsent")).all()
    assert asked.locale == "ko" and asked.subject.startswith(
        "서명하신 성명의 본문이 변경되었습니다"
    )


# --- pages -----------------------------------------------------------------------------


def test_team_pages_add_and_edit_a_translation(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="pages-ko")
    sign_in(client, owner.email, PASSWORD)
    page = client.get("/statements/pages-ko/translations")
    assert page.status_code == 200 and "No translations yet." in page.text

    refused = client.get("/statements/pages-ko/translations?language=en")
    assert refused.status_code == 422 and "language of the original" in refused.text
    opened = client.get("/statements/pages-ko/translations?language=ko", follow_redirects=False)
    assert opened.headers["location"] == "/statements/pages-ko/translations/ko"

    editor = "/statements/pages-ko/translations/ko"
    form = client.get(editor)
    assert "Translation into Korean" in form.text and "We call upon" in form.text
    bad = submit(client, editor, title="", body="본문")
    assert bad.status_code == 422 and "Enter a title." in bad.text
    saved = submit(client, editor, **KO.model_dump(), change_note="첫 번역")
    assert saved.status_code == 303
    saved = submit(client, editor, **{**KO.model_dump(), "title": "새 제목"}, change_note="제목")
    assert saved.status_code == 303

    listing = client.get("/statements/pages-ko/translations").text
    assert "새 제목" in listing and "Version 2" in listing
    history = client.get(editor).text
    assert "첫 번역" in history and "/statements/pages-ko/translations/ko/1" in history
    old = client.get("/statements/pages-ko/translations/ko/1")
    assert old.status_code == 200 and "구금자에 관한 공동성명" in old.text
    assert client.get("/statements/pages-ko/translations/ko/9").status_code == 404
    assert statement.id is not None


def test_viewers_read_translations_but_cannot_write_them(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="viewer-ko")
    translations.save_translation(db, statement=statement, actor=owner, language="ko", data=KO)
    viewer = make_user(db, email="viewer@example.org", name="Viewer")
    team.add_member(db, statement=statement, actor=owner, email=viewer.email, role=TeamRole.VIEWER)
    sign_in(client, viewer.email, PASSWORD)
    listing = client.get("/statements/viewer-ko/translations")
    assert listing.status_code == 200 and "구금자에 관한 공동성명" in listing.text
    assert "Add a translation" not in listing.text
    assert client.get("/statements/viewer-ko/translations/ko").status_code == 403


def test_public_page_offers_the_texts_and_one_list(client: TestClient, db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="public-ko")
    assert statement.id is not None
    db.add(
        Signature(
            statement_id=statement.id,
            kind=SignerKind.INDIVIDUAL,
            status=SignatureStatus.APPROVED,
            name="Kim Jeong-sam",
            email="kim@example.org",
            email_key="kim@example.org",
            nonce="n",
        )
    )
    plain = client.get("/s/public-ko").text
    assert "Read this statement in" not in plain  # one language: nothing to choose

    translations.save_translation(db, statement=statement, actor=owner, language="ko", data=KO)
    original = client.get("/s/public-ko?lang=en")
    assert "Joint statement on detainees" in original.text
    chooser = re.search(r'<nav class="text-languages".*?</nav>', original.text, re.S)
    assert chooser
    assert 'href="/s/public-ko?text=ko" hreflang="ko" lang="ko">한국어</a>' in chooser.group(0)
    assert 'aria-current="true">English</a> <span class="muted">(original)' in chooser.group(0)

    korean = client.get("/s/public-ko?text=ko&lang=en")
    assert korean.status_code == 200
    assert '<article class="statement" lang="ko">' in korean.text
    assert "구금자에 관한 공동성명" in korean.text
    assert "This is a translation. The text people sign is the original, in English." in (
        korean.text
    )
    assert 'rel="canonical" href="http://testserver/s/public-ko?text=ko"' in korean.text
    # Signatures belong to the statement: the same list under every text.
    assert "Kim Jeong-sam" in korean.text and "Kim Jeong-sam" in original.text
    # The interface language is separate, and its switcher keeps the chosen text.
    assert "/s/public-ko?text=ko&amp;lang=ko" in korean.text
    unknown = client.get("/s/public-ko?text=fr").text
    assert "Joint statement on detainees" in unknown


def test_translation_versions_share_the_version_table(db: Session) -> None:
    owner = make_user(db)
    statement = open_statement(db, owner=owner, slug="table-ko")
    translations.save_translation(db, statement=statement, actor=owner, language="ko", data=KO)
    rows = db.exec(
        select(StatementVersion.language, StatementVersion.number).where(
            col(StatementVersion.statement_id) == statement.id
        )
    ).all()
    assert sorted(rows) == [("en", 1), ("ko", 1)]
