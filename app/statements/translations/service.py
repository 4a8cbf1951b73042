"""Translations of a statement's text, each with its own version history.

A translation is a run of StatementVersion rows in another language than the statement's
own, numbered from 1 per language (the table is unique on statement, language, number).
Like the original, a translation is edited in place while the statement is a draft; once
the statement is open every save that changes the text adds a version. Only the original
is signed: signatures belong to the statement, whatever language the reader read it in,
and re-consent rounds follow the original's material changes only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict, FieldErrors, about
from app.core.i18n import babel_locale
from app.core.i18n import gettext as _
from app.core.text import clean_line
from app.statements import inputs
from app.statements import service as statements
from app.statements.models import Statement, StatementStatus, StatementVersion

LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class TranslationInput(BaseModel):
    title: str = Field(default="", max_length=2000)
    summary: str = Field(default="", max_length=5000)
    addressed_to: str = Field(default="", max_length=5000)
    body: str = Field(default="", max_length=inputs.MAX_BODY * 2)


@dataclass(frozen=True)
class Translation:
    language: str
    latest: StatementVersion
    outdated: bool  # the original changed after this translation was last saved

    @property
    def name(self) -> str:
        return language_name(self.language)


def language_name(code: str) -> str:
    """ "Korean" / "한국어" / "English": a language named in the reader's language."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(babel_locale())
    except (ValueError, TypeError, UnknownLocaleError):
        return code
    return (name[:1].upper() + name[1:]) if name else code


def native_name(code: str) -> str:
    """A language named in itself ("English", "한국어"), as language choosers show it."""
    try:
        locale = Locale.parse(code.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return code
    name = locale.get_display_name(locale) or code
    return name[:1].upper() + name[1:]


def clean_language(statement: Statement, value: str) -> str:
    code = value.strip()
    if not LANGUAGE.match(code) or len(code) > 16:
        raise FieldErrors({"language": _("Use a language code such as en, ko or fr.")})
    if code == statement.language:
        raise FieldErrors(
            {"language": _("This is the language of the original text: edit the statement.")}
        )
    return code


# --- reading ---------------------------------------------------------------------------


def history(session: Session, *, statement: Statement, language: str) -> list[StatementVersion]:
    """A translation's versions, newest first (empty when there is none)."""
    return list(
        session.exec(
            select(StatementVersion)
            .where(
                col(StatementVersion.statement_id) == statement.id,
                col(StatementVersion.language) == language,
            )
            .order_by(col(StatementVersion.number).desc())
        )
    )


def latest(session: Session, *, statement: Statement, language: str) -> StatementVersion | None:
    return session.exec(
        select(StatementVersion)
        .where(
            col(StatementVersion.statement_id) == statement.id,
            col(StatementVersion.language) == language,
        )
        .order_by(col(StatementVersion.number).desc())
        .limit(1)
    ).first()


def languages(session: Session, *, statement: Statement) -> list[str]:
    """The languages the statement is translated into (not its own), alphabetical."""
    found = session.exec(
        select(StatementVersion.language)
        .where(
            col(StatementVersion.statement_id) == statement.id,
            col(StatementVersion.language) != statement.language,
        )
        .distinct()
    ).all()
    return sorted(found)


def list_translations(session: Session, *, statement: Statement) -> list[Translation]:
    original = statements.current_version(session, statement=statement)
    result = []
    for language in languages(session, statement=statement):
        newest = latest(session, statement=statement, language=language)
        assert newest is not None
        result.append(
            Translation(
                language=language,
                latest=newest,
                outdated=newest.created_at < original.created_at,
            )
        )
    return result


def for_reader(session: Session, *, statement: Statement, language: str | None) -> StatementVersion:
    """The text a reader asked for: the translation's latest version, or the original
    when there is no translation in that language."""
    if language and language != statement.language:
        found = latest(session, statement=statement, language=language)
        if found is not None:
            return found
    return statements.current_version(session, statement=statement)


# --- the document -----------------------------------------------------------------------


def chosen_for_document(statement: Statement) -> list[str]:
    """The languages whose translations the PDF carries after the original."""
    return [code for code in statement.document_languages.split(",") if code]


def for_document(session: Session, *, statement: Statement) -> list[StatementVersion]:
    """The latest version of each chosen translation, in the order chosen."""
    found = (
        latest(session, statement=statement, language=code)
        for code in chosen_for_document(statement)
    )
    return [version for version in found if version is not None]


def choose_for_document(
    session: Session, *, statement: Statement, actor: User, languages: Sequence[str]
) -> list[str]:
    """Which translations the PDF carries (the draft export now, the final document when
    it is made). Fixed once the statement is final: its signed PDF is made."""
    if statement.status == StatementStatus.FINAL:
        raise Conflict(_("The statement is final: its document can no longer change."))
    available = {t.language for t in list_translations(session, statement=statement)}
    chosen = sorted(set(languages))
    if any(code not in available for code in chosen):
        raise BadRequest(_("Choose among the translations listed."))
    statement.document_languages = ",".join(chosen)
    statement.updated_at = utcnow()
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="document translations chosen",
        detail=", ".join(chosen) or "-",
    )
    session.flush()
    return chosen


# --- writing ---------------------------------------------------------------------------


def _clean(data: TranslationInput) -> tuple[str, str, str, str]:
    errors: dict[str, str] = {}
    cleaned = inputs.clean_text(data, errors)
    if errors:
        raise FieldErrors(errors)
    return cleaned


def save_translation(
    session: Session,
    *,
    statement: Statement,
    actor: User,
    language: str,
    data: TranslationInput,
    change_note: str = "",
) -> StatementVersion | None:
    """Add or update the translation into `language`. Returns the version written, or
    None when nothing changed. A draft's translation is edited in place; after opening,
    each change is a new version in that language's history."""
    language = clean_language(statement, language)
    text = _clean(data)
    try:
        note = clean_line(change_note, max_length=500)
    except BadRequest as exc:
        raise FieldErrors({"change_note": about(_("What changed"), exc.message)}) from exc
    current = latest(session, statement=statement, language=language)
    if current is not None:
        if text == (current.title, current.summary, current.addressed_to, current.body):
            return None
        if statement.status == StatementStatus.DRAFT:
            current.title, current.summary, current.addressed_to, current.body = text
            current.change_note = note or current.change_note
            _record(session, statement, actor, current, "translation edited")
            return current
    assert statement.id is not None
    title, summary, addressed_to, body = text
    version = StatementVersion(
        statement_id=statement.id,
        language=language,
        number=current.number + 1 if current else 1,
        title=title,
        summary=summary,
        addressed_to=addressed_to,
        body=body,
        change_note=note,
        material=False,  # only the original is signed
        author_id=actor.id,
    )
    session.add(version)
    _record(session, statement, actor, version, "translation saved")
    return version


def _record(
    session: Session, statement: Statement, actor: User, version: StatementVersion, action: str
) -> None:
    statement.updated_at = utcnow()
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action=action,
        detail=f"{version.language}, version {version.number}",
    )
    session.flush()
