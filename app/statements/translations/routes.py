"""The team's pages for translations of a statement's text."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import AppError, FieldErrors, NotFound
from app.core.forms import FormDep
from app.statements import service as statements
from app.statements.deps import StatementEditor, StatementViewer
from app.statements.team import service as team
from app.statements.text import markdown
from app.statements.translations import service as translations

router = APIRouter(prefix="/statements")
Language = Annotated[str, Path(max_length=16, pattern=translations.LANGUAGE.pattern)]


def _list_page(
    request: Request,
    session: SessionDep,
    acc: team.Access,
    *,
    language: str = "",
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return templating.page(
        request,
        "statements/translations.html",
        {
            "access": acc,
            "statement": acc.statement,
            "original_name": translations.language_name(acc.statement.language),
            "translations": translations.list_translations(session, statement=acc.statement),
            "language": language,
            "errors": errors or {},
            "error": error,
            "in_document": translations.chosen_for_document(acc.statement),
        },
        status_code=status_code,
    )


@router.get("/{slug}/translations")
def translations_page(
    request: Request,
    acc: StatementViewer,
    session: SessionDep,
    language: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The list of translations; `?language=` (the "add" form) opens that one's editor."""
    if not language:
        return _list_page(request, session, acc)
    try:
        code = translations.clean_language(acc.statement, language)
    except FieldErrors as exc:
        return _list_page(
            request, session, acc, language=language, errors=exc.errors, status_code=422
        )
    return templating.redirect(f"/statements/{acc.statement.slug}/translations/{code}")


@router.post("/{slug}/translations/document")
def document_translations(
    request: Request, acc: StatementEditor, session: SessionDep, user: CurrentUser, form: FormDep
) -> Response:
    """Which translations the PDF carries after the original."""
    chosen = [v for v in form.getlist("include") if isinstance(v, str)]
    with db.attempt(session, AppError) as outcome:
        translations.choose_for_document(
            session, statement=acc.statement, actor=user, languages=chosen
        )
    if (error := outcome.error) is not None:
        return _list_page(request, session, acc, error=error.message, status_code=error.status_code)
    return templating.redirect(
        f"/statements/{acc.statement.slug}/translations", notice="document-languages"
    )


def _editor(
    request: Request,
    session: SessionDep,
    acc: team.Access,
    language: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    statement = acc.statement
    original = statements.current_version(session, statement=statement)
    versions = translations.history(session, statement=statement, language=language)
    if values is None:
        newest = versions[0] if versions else None
        values = {
            "title": newest.title if newest else "",
            "summary": newest.summary if newest else "",
            "addressed_to": newest.addressed_to if newest else "",
            "body": newest.body if newest else "",
        }
    return templating.page(
        request,
        "statements/translation.html",
        {
            "access": acc,
            "statement": statement,
            "language": language,
            "language_name": translations.language_name(language),
            "original": original,
            "original_html": markdown.render_markdown(original.body),
            "versions": versions,
            "values": values,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/{slug}/translations/{language}")
def translation_form(
    request: Request, acc: StatementEditor, language: Language, session: SessionDep
) -> Response:
    translations.clean_language(acc.statement, language)
    return _editor(request, session, acc, language)


@router.post("/{slug}/translations/{language}")
def translation_submit(
    request: Request,
    acc: StatementEditor,
    language: Language,
    session: SessionDep,
    user: CurrentUser,
    form: FormDep,
) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    with db.attempt(session, FieldErrors) as outcome:
        translations.save_translation(
            session,
            statement=acc.statement,
            actor=user,
            language=language,
            data=translations.TranslationInput.model_validate(values),
            change_note=values.get("change_note", ""),
        )
    if outcome.error is not None:
        return _editor(
            request,
            session,
            acc,
            language,
            values=values,
            errors=outcome.error.errors,
            status_code=422,
        )
    return templating.redirect(
        f"/statements/{acc.statement.slug}/translations", notice="statement-saved"
    )


@router.get("/{slug}/translations/{language}/{number}")
def translation_version(
    request: Request,
    acc: StatementViewer,
    language: Language,
    number: Annotated[int, Path(ge=1, le=1_000_000)],
    session: SessionDep,
) -> Response:
    found = next(
        (
            v
            for v in translations.history(session, statement=acc.statement, language=language)
            if v.number == number
        ),
        None,
    )
    if found is None:
        raise NotFound()
    return templating.page(
        request,
        "statements/version.html",
        {
            "statement": acc.statement,
            "version": found,
            "body_html": markdown.render_markdown(found.body),
        },
    )
