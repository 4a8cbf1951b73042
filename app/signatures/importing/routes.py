"""The team's pages for importing signatures from a CSV: upload → map the columns →
preview → import. No JavaScript, and no table for uploads: the file's text travels from
step to step in the form itself, compressed and signed so that it cannot be altered."""

from __future__ import annotations

import base64
import binascii
import gzip
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import db, templating
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import AppError, BadRequest, FieldErrors
from app.core.i18n import gettext as _
from app.security import tokens
from app.signatures import countries
from app.signatures.importing import columns as import_columns
from app.signatures.importing import service as importing
from app.signatures.models import Listing, SignerKind
from app.statements.deps import StatementEditor
from app.statements.models import Statement

router = APIRouter(prefix="/statements")
# Starlette refuses any single form field over 1 MB, so the payload travels in pieces.
CHUNK = 500_000
PREVIEW_GOOD_ROWS = 50
ENCODING_CHOICES = ("auto", "utf-8-sig", "cp949", "cp1252")
Choice = Annotated[str, Form(max_length=40)]


@dataclass(frozen=True)
class Upload:
    filename: str
    table: importing.Table
    chunks: list[str]  # the signed payload, to carry to the next step
    extra: dict[str, Any] = field(default_factory=dict)  # what else was signed with it


def pack(
    statement: Statement,
    filename: str,
    data: bytes,
    encoding: str,
    extra: dict[str, Any] | None = None,
) -> list[str]:
    """The file as uploaded (not re-encoded: a Korean file would grow by half in UTF-8),
    signed with `extra` (the API's column choices) so that neither can be altered."""
    packed = base64.urlsafe_b64encode(gzip.compress(data, mtime=0)).decode()
    token = tokens.make_token(
        tokens.Purpose.IMPORT,
        {**(extra or {}), "s": statement.id, "f": filename, "e": encoding, "z": packed},
    )
    return [token[i : i + CHUNK] for i in range(0, len(token), CHUNK)]


def unpack(statement: Statement, chunks: list[str]) -> Upload:
    try:
        payload = tokens.read_token(tokens.Purpose.IMPORT, "".join(chunks), max_age_seconds=None)
        if payload["s"] != statement.id:
            raise tokens.TokenInvalid("another statement's upload")
        data = gzip.decompress(base64.urlsafe_b64decode(payload["z"]))
        filename, encoding = str(payload["f"]), str(payload["e"])
    except (tokens.TokenInvalid, KeyError, TypeError, binascii.Error, OSError) as exc:
        raise BadRequest(
            _("The uploaded file was lost on the way. Please upload it again.")
        ) from exc
    text, _encoding = importing.decode(data, encoding=encoding)
    extra = {k: v for k, v in payload.items() if k not in ("s", "f", "e", "z")}
    return Upload(filename, importing.parse(text, encoding=encoding), chunks, extra)


class Carried:
    """What the mapping and preview pages send back: the signed file and the choices."""

    def __init__(
        self,
        upload: Annotated[list[str], Form()],
        column: Annotated[list[str], Form()],
        default_kind: Choice = "",
        default_listing: Choice = Listing.NAMED.value,
        skip_duplicates: Choice = "",
    ) -> None:
        self.pieces, self.columns, self.skip_duplicates = upload, column, skip_duplicates == "1"
        self.defaults = importing.Defaults(kind=default_kind, listing=default_listing)

    def open(self, statement: Statement) -> tuple[Upload, importing.Mapping]:
        upload = unpack(statement, self.pieces)
        columns = self.columns[: len(upload.table.headers)]
        return upload, {i: name[:40] for i, name in enumerate(columns)}


CarriedForm = Annotated[Carried, Depends()]


def _common(statement: Statement, upload: Upload | None = None) -> dict[str, Any]:
    choices = import_columns.choice_labels()
    return {
        "statement": statement,
        "upload": upload,
        "labels": import_columns.field_labels(),
        "field_options": [(c, choices[c]) for c in import_columns.CHOICES],
        "kind_options": [
            ("", _("Choose…")),
            (SignerKind.ORGANISATION.value, _("Organisations")),
            (SignerKind.INDIVIDUAL.value, _("Individuals")),
        ],
        "country_name": countries.name,
        "listing_options": [
            (Listing.NAMED.value, _("By name")),
            (Listing.ANONYMOUS.value, _("Anonymously")),
            (Listing.COUNTED.value, _("Counted only")),
        ],
    }


def _upload_page(
    request: Request, statement: Statement, *, error: str | None = None, status_code: int = 200
) -> Response:
    context = _common(statement) | {
        "error": error,
        "encodings": [
            ("auto", _("Find out automatically")),
            ("utf-8-sig", _("UTF-8 (Google Sheets, most programs)")),
            ("cp949", _("Korean (Excel: CP949 / EUC-KR)")),
            ("cp1252", _("Western European (Excel: Windows-1252)")),
        ],
        "max_mb": get_settings().import_file_max_bytes // 1_000_000,
        "max_rows": importing.MAX_ROWS,
    }
    return templating.page(
        request, "signatures/import_upload.html", context, status_code=status_code
    )


def _mapping_page(
    request: Request,
    statement: Statement,
    upload: Upload,
    mapping: importing.Mapping,
    defaults: importing.Defaults,
    *,
    errors: dict[str, str] | None = None,
) -> Response:
    table = upload.table
    samples = [
        [row[i] for row in table.rows if i < len(row) and row[i]][:3]
        for i in range(len(table.headers))
    ]
    context = _common(statement, upload) | {
        "columns": list(zip(table.headers, samples, strict=True)),
        # Yes/No answers that nothing reads yet: say that they can be read.
        "yes_no_columns": {
            i
            for i in range(len(table.headers))
            if mapping.get(i) in (import_columns.IGNORE, "listing")
            and import_columns.is_yes_no_column(row[i] for row in table.rows if i < len(row))
        },
        "mapping": mapping,
        "defaults": defaults,
        "errors": errors or {},
    }
    status_code = 422 if errors else 200
    return templating.page(request, "signatures/import_mapping.html", context, status_code)


def _preview_page(
    request: Request,
    statement: Statement,
    upload: Upload,
    mapping: importing.Mapping,
    defaults: importing.Defaults,
    result: importing.Preview,
    *,
    error: str | None = None,
) -> Response:
    column_of = {
        import_columns.field_of(c): upload.table.headers[i]
        for i, c in mapping.items()
        if c != import_columns.IGNORE
    }
    context = _common(statement, upload) | {
        "mapping": mapping,
        "readings": import_columns.describe_readings(upload.table.headers, mapping),
        "defaults": defaults,
        "preview": result,
        "good_shown": result.good[:PREVIEW_GOOD_ROWS],
        "column_of": column_of,
        "error": error,
    }
    status_code = 422 if error else 200
    return templating.page(request, "signatures/import_preview.html", context, status_code)


@router.get("/{slug}/import")
def upload_form(request: Request, acc: StatementEditor) -> Response:
    return _upload_page(request, acc.statement)


@router.post("/{slug}/import")
def upload_file(
    request: Request,
    acc: StatementEditor,
    file: Annotated[UploadFile | None, File()] = None,
    encoding: Choice = "auto",
) -> Response:
    statement = acc.statement
    if file is None or not file.filename:
        return _upload_page(request, statement, error=_("Choose a CSV file."), status_code=400)
    data = file.file.read(get_settings().import_file_max_bytes + 1)
    try:
        text, used = importing.decode(
            data, encoding=encoding if encoding in ENCODING_CHOICES else "auto"
        )
        table = importing.parse(text, encoding=used)
    except AppError as exc:
        return _upload_page(request, statement, error=exc.message, status_code=exc.status_code)
    filename = file.filename.replace("\\", "/").rsplit("/", 1)[-1][:200]
    upload = Upload(filename, table, pack(statement, filename, data, used))
    suggested = import_columns.suggest_mapping(table.headers, rows=table.rows)
    mapping = {i: suggested[header] for i, header in enumerate(table.headers)}
    return _mapping_page(request, statement, upload, mapping, importing.Defaults())


@router.post("/{slug}/import/mapping")
def change_mapping(request: Request, acc: StatementEditor, form: CarriedForm) -> Response:
    statement = acc.statement
    upload, mapping = form.open(statement)
    return _mapping_page(request, statement, upload, mapping, form.defaults)


@router.post("/{slug}/import/preview")
def preview_import(
    request: Request, acc: StatementEditor, session: SessionDep, form: CarriedForm
) -> Response:
    statement = acc.statement
    upload, mapping = form.open(statement)
    try:
        result = importing.preview(
            session,
            statement=statement,
            rows=upload.table.rows,
            mapping=mapping,
            defaults=form.defaults,
        )
    except FieldErrors as exc:
        return _mapping_page(request, statement, upload, mapping, form.defaults, errors=exc.errors)
    return _preview_page(request, statement, upload, mapping, form.defaults, result)


@router.post("/{slug}/import/commit")
def commit_import(
    request: Request,
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    form: CarriedForm,
) -> Response:
    statement = acc.statement
    upload, mapping = form.open(statement)
    with db.attempt(session, FieldErrors) as outcome:
        importing.commit_import(
            session,
            statement=statement,
            actor=user,
            rows=upload.table.rows,
            mapping=mapping,
            defaults=form.defaults,
            skip_duplicates=form.skip_duplicates,
            filename=upload.filename,
        )
    # ImportRejected is a FieldErrors about rows (back to the preview); any other is
    # about the mapping (back to it).
    rejected = outcome.error
    if isinstance(rejected, importing.ImportRejected):
        return _preview_page(
            request,
            statement,
            upload,
            mapping,
            form.defaults,
            rejected.preview,
            error=rejected.message,
        )
    if rejected is not None:
        return _mapping_page(
            request, statement, upload, mapping, form.defaults, errors=rejected.errors
        )
    return templating.redirect(
        f"/statements/{statement.slug}/signatures", notice="signatures-imported"
    )
