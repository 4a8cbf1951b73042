"""Translations through the API: the team reads each with its history, the public reads
the latest of each beside the original."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts.models import User
from app.statements import service as statements
from app.statements.translations import service as translations
from app.statements.translations.service import TranslationInput
from tests.factories import make_statement, make_user, open_statement, statement_input
from tests.statements.test_api import API, bearer

KO = TranslationInput(
    title="구금자에 관한 공동성명",
    summary="구금자의 석방을 촉구합니다.",
    addressed_to="인권이사회 이사국",
    body="우리는 **모든 국가**에 행동을 촉구합니다.",
)


def _translated(db: Session, owner: User, slug: str = "hrc58", *, opened: bool = True) -> None:
    statement = (open_statement if opened else make_statement)(db, owner=owner, slug=slug)
    translations.save_translation(db, statement=statement, actor=owner, language="ko", data=KO)
    if opened:
        changed = KO.model_copy(update={"title": "구금자에 관한 연명 성명"})
        translations.save_translation(
            db,
            statement=statement,
            actor=owner,
            language="ko",
            data=changed,
            change_note="제목 수정",
        )


def test_the_team_reads_translations_and_their_versions(client: TestClient, db: Session) -> None:
    owner = make_user(db, email="owner@example.org")
    _translated(db, owner)
    auth = bearer(db, owner)

    listed = client.get(f"{API}/hrc58/translations", headers=auth)
    assert listed.status_code == 200, listed.text
    (korean,) = listed.json()
    assert korean["language"] == "ko" and korean["version"] == 2
    assert korean["title"] == "구금자에 관한 연명 성명"
    assert korean["outdated"] is False and korean["in_document"] is False

    latest = client.get(f"{API}/hrc58/translations/ko", headers=auth).json()
    assert latest["version"] == 2 and latest["change_note"] == "제목 수정"
    assert latest["body"] == KO.body and "<strong>모든 국가</strong>" in latest["body_html"]
    assert latest["addressed_to"] == KO.addressed_to

    history = client.get(f"{API}/hrc58/translations/ko/versions", headers=auth).json()
    assert [v["version"] for v in history] == [2, 1]
    first = client.get(f"{API}/hrc58/translations/ko/versions/1", headers=auth).json()
    assert first["title"] == KO.title
    assert client.get(f"{API}/hrc58/translations/ko/versions/9", headers=auth).status_code == 404
    assert client.get(f"{API}/hrc58/translations/fr", headers=auth).status_code == 404

    outsider = bearer(db, make_user(db, email="outsider@example.org"))
    assert client.get(f"{API}/hrc58/translations", headers=outsider).status_code == 404
    assert client.get(f"{API}/hrc58/translations").status_code == 401


def test_a_translation_is_outdated_once_the_original_changes(
    client: TestClient, db: Session
) -> None:
    owner = make_user(db, email="owner@example.org")
    _translated(db, owner)
    statement = statements.get_by_slug(db, slug="hrc58")
    assert statement is not None
    statements.update_statement(
        db,
        statement=statement,
        actor=owner,
        data=statement_input(slug="hrc58", body="A new call.\n\nThank you."),
        change_note="Rewritten",
        material=True,
    )
    (korean,) = client.get(f"{API}/hrc58/translations", headers=bearer(db, owner)).json()
    assert korean["outdated"] is True


def test_the_public_reads_each_translations_latest_version(client: TestClient, db: Session) -> None:
    owner = make_user(db, email="owner@example.org")
    _translated(db, owner)
    _translated(db, owner, slug="draft", opened=False)

    public = client.get("/api/v1/public/statements/hrc58").json()
    (korean,) = public["translations"]
    assert korean["language"] == "ko" and korean["version"] == 2
    assert korean["title"] == "구금자에 관한 연명 성명" and korean["body"] == KO.body
    assert korean["url"] == "http://testserver/s/hrc58?text=ko"
    assert "change_note" not in korean  # the team's notes stay with the team
    assert client.get("/api/v1/public/statements/draft").status_code == 404


def test_openapi_lists_the_translation_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        f"{API}/{{slug}}/translations",
        f"{API}/{{slug}}/translations/{{language}}",
        f"{API}/{{slug}}/translations/{{language}}/versions",
        f"{API}/{{slug}}/translations/{{language}}/versions/{{number}}",
    ):
        assert set(paths[path]) == {"get"}, path
