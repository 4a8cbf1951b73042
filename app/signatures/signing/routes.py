"""The public signing pages: the sign form, the confirmation page (opening the emailed
link changes nothing; only pressing Confirm does), and withdrawal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.core import error_pages, templating
from app.core.db import SessionDep, in_one_thread, utcnow
from app.core.errors import FieldErrors
from app.core.forms import FormDep
from app.core.i18n import N_
from app.core.i18n import gettext as _
from app.outreach import service as outreach
from app.security import headers
from app.security.ratelimit import client_ip
from app.signatures import countries, lifecycle
from app.signatures.models import SignatureStatus, SignerKind
from app.signatures.signing import closed, sent, service, several
from app.statements import deps
from app.statements import service as statements
from app.statements.deps import PublicStatement
from app.statements.models import SignerKinds, Statement

router = APIRouter()
HONEYPOT_FIELD = "homepage"  # hidden from people; bots fill it in
BUSY_MESSAGE = N_(
    "The service is busy for a moment — please try again in a minute; nothing was saved."
)
_VALUES_KEY = "sign_values"


def sign_page(
    request: Request,
    session: SessionDep,
    statement: Statement,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    again: bool = False,
    form_token: str = "",
    focus_block: int = 0,
) -> Response:
    """The sign form. `values` may carry an outreach link's "invitation" token or
    "ref" code (app.outreach), sent back with the form. `form_token`: the one the signer
    started with, when the form comes back after adding or removing an organisation;
    `focus_block`: the organisation block just added, where the cursor goes."""
    version = statements.current_version(session, statement=statement)
    now = utcnow()
    accepting = statements.accepts_signatures(statement, now)
    values = values or {"kind": "", "listing": "named"}
    return templating.page(
        request,
        "signatures/sign.html",
        {
            "statement": statement,
            "version": version,
            "accepting": accepting,
            # A late signer sees the statement itself, when it closed and whom to write to.
            **({} if accepting else closed.context(statement, version, now)),
            "values": values,
            "errors": errors or {},
            "countries": countries.options(),
            "form_token": form_token or service.form_token(),
            "honeypot": HONEYPOT_FIELD,
            "kinds": _kind_options(statement),
            "again": again,
            **_blocks_context(values, focus_block=focus_block),
        },
        status_code=status_code,
    )


def _blocks_context(values: dict[str, str], *, focus_block: int = 0) -> dict[str, object]:
    """The organisation blocks for `_sign_form.html` (app.signatures.signing.several)."""
    return {
        "org_blocks": several.blocks(values),
        "max_organisations": several.MAX_ORGANISATIONS,
        "focus_block": focus_block,
        "person_country": several.PERSON_COUNTRY,
    }


def _kind_options(statement: Statement) -> list[tuple[str, str]]:
    options = []
    if statement.signer_kinds in (SignerKinds.BOTH, SignerKinds.ORGANISATIONS):
        options.append((SignerKind.ORGANISATION.value, _("On behalf of an organisation")))
    if statement.signer_kinds in (SignerKinds.BOTH, SignerKinds.INDIVIDUALS):
        options.append((SignerKind.INDIVIDUAL.value, _("As an individual")))
    return options


@router.get("/s/{slug}/sign")
def sign_form(
    request: Request,
    statement: PublicStatement,
    session: SessionDep,
    again: str = "",
    ref: str = "",
) -> Response:
    """`?again=1`: "wrong address? sign again", with what this browser just sent;
    `?ref=`: a partner's referral link (app.outreach), sent back with the form."""
    values = sent.recall(request, slug=statement.slug) if again else None
    recalled = values is not None
    if ref and outreach.referral_by_code(session, statement=statement, code=ref):
        values = (values or {"kind": "", "listing": "named"}) | {"ref": ref}
    response = sign_page(request, session, statement, values=values, again=recalled)
    if recalled:
        response.headers.update(headers.SECRET_PAGE)
    return response


async def sign_values(request: Request, form: FormDep) -> dict[str, str]:
    """What the signer typed; kept on the request so that the busy page can give it back
    if the database fails afterwards (loading the statement, or at the commit)."""
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    setattr(request.state, _VALUES_KEY, values)
    return values


def _sign_busy_page(request: Request) -> Response:
    """The form again, with what was typed, rendered without the database (no statement
    title; both kinds offered, the signer's choice kept): error_pages adds 503 and
    Retry-After."""
    values: dict[str, str] = getattr(request.state, _VALUES_KEY, {}) or {
        "kind": "",
        "listing": "named",
    }
    kinds = [
        (SignerKind.ORGANISATION.value, _("On behalf of an organisation")),
        (SignerKind.INDIVIDUAL.value, _("As an individual")),
    ]
    return templating.render(
        request,
        "signatures/sign_busy.html",
        {
            "slug": request.path_params.get("slug", ""),
            "message": _(BUSY_MESSAGE),
            "values": values,
            "errors": {},
            "countries": countries.options(),
            # The signer's own token: how long they took is still measured from the start.
            "form_token": values.get("form_token") or service.form_token(),
            "honeypot": HONEYPOT_FIELD,
            "kinds": kinds,
            **_blocks_context(values),
        },
    )


@router.post("/s/{slug}/sign")
@error_pages.when_unavailable(_sign_busy_page)
async def sign_submit(
    request: Request,
    slug: str,
    values: Annotated[dict[str, str], Depends(sign_values)],  # first: before any query
) -> Response:
    """The whole of the work in one thread-pool call (`in_one_thread`): a share brings
    thousands of signers in minutes."""
    return await in_one_thread(request, lambda session: _sign(request, session, slug, values))


def _sign(request: Request, session: Session, slug: str, values: dict[str, str]) -> Response:
    statement = deps.public_statement(slug, session)
    context = service.Context(
        ip=client_ip(request),
        form_age_seconds=service.form_age(values.get("form_token", "")),
        honeypot=values.get(HONEYPOT_FIELD, ""),
    )
    if not statements.accepts_signatures(statement, utcnow()):
        # Too late (or too early): the statement page with the closing time, never the
        # values typed, and nothing written.
        return sign_page(request, session, statement, status_code=409)
    changed = several.change(values)
    if changed is not None:  # "Add another organisation" or "Remove": the form again
        kept, errors = changed
        added = several.count(kept) if values.get(several.ACTION) == several.ADD else 0
        return sign_page(
            request,
            session,
            statement,
            values=kept,
            errors=errors,
            status_code=422 if errors else 200,
            form_token=values.get("form_token", ""),
            focus_block=0 if errors else added,
        )
    # The check touches no database, so its errors need no savepoint to undo (`db.attempt`
    # would cost two round trips on every signature): nothing has been written yet.
    try:
        cleans = several.check_form(statement=statement, values=values)
    except FieldErrors as exc:
        return sign_page(
            request, session, statement, values=values, errors=exc.errors, status_code=422
        )
    ids = service.record_all(session, statement=statement, cleans=cleans, context=context)
    for number, signature_id in enumerate(ids):
        outreach.record_arrival(
            session,
            statement=statement,
            signature_id=signature_id,
            # A personal invitation is for the organisation it prefilled, the first block;
            # a referral link brought them all.
            invitation_token=values.get("invitation", "") if number == 0 else "",
            referral_code=values.get("ref", ""),
        )
    response = templating.redirect(f"/s/{statement.slug}/sign/check-your-email")
    sent.remember(response, slug=statement.slug, values=values)
    return response


@router.get("/s/{slug}/sign/check-your-email")
def check_email(request: Request, statement: PublicStatement, session: SessionDep) -> Response:
    version = statements.current_version(session, statement=statement)
    typed = sent.recall(request, slug=statement.slug) or {}
    masked = sent.mask_email(typed["email"]) if typed.get("email") else ""
    signed_for = (
        min(several.count(typed), several.MAX_ORGANISATIONS)
        if typed.get("kind") == SignerKind.ORGANISATION.value
        else 1
    )
    response = templating.page(
        request,
        "signatures/check_email.html",
        {
            "statement": statement,
            "version": version,
            "masked_email": masked,
            "emails": signed_for,  # one confirmation per organisation
        },
    )
    response.headers.update(headers.SECRET_PAGE)
    return response


def _token_page(
    request: Request,
    name: str,
    found: lifecycle.Found,
    session: SessionDep,
    *,
    titled: bool = True,
    **extra: object,
) -> Response:
    """A page reached from an emailed link; `titled`: it names the statement's current
    title (read only then)."""
    version = statements.current_version(session, statement=found.statement) if titled else None
    response = templating.page(
        request,
        name,
        {"signature": found.signature, "statement": found.statement, "version": version, **extra},
    )
    response.headers.update(headers.SECRET_PAGE)
    return response


def _confirm_page(
    request: Request, found: lifecycle.Found, session: SessionDep, **extra: object
) -> Response:
    # Only a signer about to confirm is shown the title: a confirmed page reads no version.
    pending = found.signature.status == SignatureStatus.PENDING
    return _token_page(request, "signatures/confirm.html", found, session, titled=pending, **extra)


@router.get("/confirm/{token}")
def confirm_page(request: Request, token: str, session: SessionDep) -> Response:
    found = lifecycle.for_confirmation(session, token=token)
    until = lifecycle.confirm_until(found.statement, found.signature)
    return _confirm_page(request, found, session, done=False, confirm_until=until)


@router.post("/confirm/{token}")
async def confirm_submit(request: Request, token: str) -> Response:
    """In one thread-pool call, like signing: confirmations follow a share's signatures."""

    def confirm(session: Session) -> Response:
        return _confirm_page(request, lifecycle.confirm(session, token=token), session, done=True)

    return await in_one_thread(request, confirm)


@router.get("/withdraw/{token}")
def withdraw_page(request: Request, token: str, session: SessionDep) -> Response:
    found = lifecycle.for_withdrawal(session, token=token)
    return _token_page(request, "signatures/withdraw.html", found, session, done=False)


@router.post("/withdraw/{token}")
def withdraw_submit(request: Request, token: str, session: SessionDep) -> Response:
    found = lifecycle.withdraw(session, token=token)
    return _token_page(request, "signatures/withdraw.html", found, session, done=True)


@router.get("/privacy")
def privacy(request: Request) -> Response:
    return templating.page(request, "signatures/privacy.html")
