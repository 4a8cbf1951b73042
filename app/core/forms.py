"""Reading a whole form in an async dependency, so that the route itself can be a plain
`def`: routes use the synchronous database session, and a synchronous session inside an
`async def` route blocks the event loop (on SQLite two such writers in one process wait
on each other until the busy timeout)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, UploadFile
from starlette.datastructures import FormData

from app.core.config import get_settings
from app.core.errors import BadRequest
from app.core.i18n import gettext as _


async def form_data(request: Request) -> FormData:
    return await request.form()  # parsed once; the CSRF check reads the same copy


FormDep = Annotated[FormData, Depends(form_data)]


async def uploaded_document(document: UploadFile) -> bytes:
    data = await document.read(get_settings().verify_upload_max_bytes)
    if not data:
        raise BadRequest(_("Choose the PDF file to check."))
    return data


DocumentDep = Annotated[bytes, Depends(uploaded_document)]
