"""What the API returns for translations of a statement's text: the team's view (each
language's history) and the public one (the latest of each)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class TranslationSummary(BaseModel):
    language: str = Field(description="A language code such as ko or fr.")
    language_name: str = Field(description="The language, named in English.")
    version: int = Field(description="The latest version; each language numbers its own.")
    title: str
    created_at: datetime = Field(description="When the latest version was saved.")
    outdated: bool = Field(description="The original text changed after this was saved.")
    in_document: bool = Field(description="The PDF carries it after the original.")


class TranslationVersionSummary(BaseModel):
    version: int
    title: str
    change_note: str
    created_at: datetime


class _TranslationText(BaseModel):
    language: str
    version: int
    title: str
    summary: str
    addressed_to: str
    body: str = Field(description="Markdown.")
    body_html: str = Field(description="The same text as sanitised HTML.")


class TranslationDetail(_TranslationText):
    language_name: str
    change_note: str
    created_at: datetime


class PublicTranslation(_TranslationText):
    url: str = Field(description="The public page showing this text.")
