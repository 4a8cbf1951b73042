"""Translations of a statement through the API: read only, like the team's pages show
them (each language's history) and the public page offers them (the latest of each).
Writing a translation stays on the team's pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.api import schemas as api_schemas
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.core.i18n import using_locale
from app.statements.deps import ApiStatementViewer
from app.statements.models import Statement, StatementVersion
from app.statements.text import markdown
from app.statements.translations import schemas
from app.statements.translations import service as translations

router = APIRouter(
    prefix="/api/v1/statements",
    tags=["translations"],
    responses=api_schemas.error_responses(401, 404, 422),
)
Language = Annotated[str, Path(max_length=16, pattern=translations.LANGUAGE.pattern)]
VersionNumber = Annotated[int, Path(ge=1, le=1_000_000)]


def _english_name(code: str) -> str:
    # An API answers the same whatever the caller's browser language.
    with using_locale("en"):
        return translations.language_name(code)


def _detail(version: StatementVersion) -> schemas.TranslationDetail:
    return schemas.TranslationDetail(
        language=version.language,
        language_name=_english_name(version.language),
        version=version.number,
        title=version.title,
        summary=version.summary,
        addressed_to=version.addressed_to,
        body=version.body,
        body_html=markdown.render_markdown(version.body),
        change_note=version.change_note,
        created_at=version.created_at,
    )


def _history(session: SessionDep, statement: Statement, language: str) -> list[StatementVersion]:
    if language == statement.language:
        raise NotFound()  # the original is /versions
    found = translations.history(session, statement=statement, language=language)
    if not found:
        raise NotFound()
    return found


@router.get("/{slug}/translations")
def list_translations(
    acc: ApiStatementViewer, session: SessionDep
) -> list[schemas.TranslationSummary]:
    """Every translation, its latest version, alphabetical by language code."""
    chosen = translations.chosen_for_document(acc.statement)
    return [
        schemas.TranslationSummary(
            language=t.language,
            language_name=_english_name(t.language),
            version=t.latest.number,
            title=t.latest.title,
            created_at=t.latest.created_at,
            outdated=t.outdated,
            in_document=t.language in chosen,
        )
        for t in translations.list_translations(session, statement=acc.statement)
    ]


@router.get("/{slug}/translations/{language}")
def get_translation(
    acc: ApiStatementViewer, language: Language, session: SessionDep
) -> schemas.TranslationDetail:
    """The latest version of the translation into `language`."""
    return _detail(_history(session, acc.statement, language)[0])


@router.get("/{slug}/translations/{language}/versions")
def list_translation_versions(
    acc: ApiStatementViewer, language: Language, session: SessionDep
) -> list[schemas.TranslationVersionSummary]:
    """Newest first."""
    return [
        schemas.TranslationVersionSummary(
            version=v.number, title=v.title, change_note=v.change_note, created_at=v.created_at
        )
        for v in _history(session, acc.statement, language)
    ]


@router.get("/{slug}/translations/{language}/versions/{number}")
def get_translation_version(
    acc: ApiStatementViewer, language: Language, number: VersionNumber, session: SessionDep
) -> schemas.TranslationDetail:
    found = next(
        (v for v in _history(session, acc.statement, language) if v.number == number), None
    )
    if found is None:
        raise NotFound()
    return _detail(found)


def public_translations(
    session: SessionDep, statement: Statement, *, page_url: str
) -> list[schemas.PublicTranslation]:
    """The latest version of each translation, as the public page at `page_url` offers it."""
    return [
        schemas.PublicTranslation(
            language=t.language,
            version=t.latest.number,
            title=t.latest.title,
            summary=t.latest.summary,
            addressed_to=t.latest.addressed_to,
            body=t.latest.body,
            body_html=markdown.render_markdown(t.latest.body),
            url=f"{page_url}?text={t.language}",
        )
        for t in translations.list_translations(session, statement=statement)
    ]
