"""Rendering the one list into each downloadable format."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from app.lists import service as lists
from app.lists.data import SignatoryList, TranslatedText
from app.lists.renderers import csvs, office, pdf, spreadsheet, text

PublicFormat = Literal["pdf", "docx", "csv", "xlsx", "txt", "md", "json"]
FORMATS: tuple[PublicFormat, ...] = ("pdf", "docx", "csv", "xlsx", "txt", "md", "json")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
}


@dataclass(frozen=True)
class Rendered:
    media_type: str
    filename: str
    chunks: Iterator[bytes]


def render(
    model: SignatoryList,
    fmt: PublicFormat,
    *,
    paper: str = "a4",
    translations: Sequence[TranslatedText] = (),
) -> Rendered:
    """One public format of the list (a final statement's PDF comes from its snapshot).
    The PDF carries `translations` after the original text; the list formats do not."""
    name = (
        f"{model.slug}-signatories.{fmt}" if fmt not in ("pdf", "docx") else f"{model.slug}.{fmt}"
    )
    return Rendered(MEDIA_TYPES[fmt], name, _chunks(model, fmt, paper, translations))


def _chunks(
    model: SignatoryList, fmt: PublicFormat, paper: str, translations: Sequence[TranslatedText]
) -> Iterator[bytes]:
    if fmt == "csv":
        yield from csvs.iter_public_csv(model)
    elif fmt == "pdf":
        size: pdf.Paper = "us-letter" if paper == "letter" else "a4"
        yield pdf.render_pdf(model, paper=size, translations=translations)
    elif fmt == "docx":
        yield office.render_docx(model)
    elif fmt == "xlsx":
        yield spreadsheet.render_xlsx(model)
    elif fmt == "txt":
        yield text.plain_text(model).encode()
    elif fmt == "md":
        yield text.markdown(model).encode()
    else:
        yield lists.to_json(model).encode()
