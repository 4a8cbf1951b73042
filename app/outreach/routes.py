"""The team's outreach pages (overview, roster, invitations) and the invitee's own links
(a pre-filled sign form, "we won't sign this one", "stop reminding me")."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from app.accounts.deps import CurrentUser
from app.core import db, templating
from app.core.db import SessionDep, utcnow
from app.core.errors import AppError, FieldErrors
from app.core.forms import FormDep
from app.core.i18n import language_options
from app.outreach import chart, messages, reminders, roster, service
from app.outreach.models import InvitationStatus
from app.outreach.referrals import service as referrals
from app.security import headers
from app.signatures import countries
from app.signatures.signing import routes as signing
from app.statements import service as statements
from app.statements.deps import PublicStatement, StatementEditor, StatementViewer
from app.statements.team.service import Access

router = APIRouter(prefix="/statements")
public_router = APIRouter()
ShortText = Annotated[str, Form(max_length=2000)]
LongText = Annotated[str, Form(max_length=900_000)]


def _digest(pasted: str) -> str:
    """Which pasted list the lead has seen checked (sent back with the form)."""
    return hashlib.sha256(pasted.strip().encode()).hexdigest()[:16]


def _base(acc: Access) -> str:
    return f"/statements/{acc.statement.slug}/outreach"


def _overview(
    request: Request,
    session: SessionDep,
    acc: Access,
    *,
    values: dict[str, str] | None = None,
    problem: AppError | None = None,
) -> Response:
    statement = acc.statement
    assert statement.id is not None
    rows = service.invitations(session, statement=statement)
    series = chart.team_series(
        session, statement_id=statement.id, zone_name=statement.deadline_zone
    )
    totals = {s: sum(1 for r in rows if r.status == s) for s in InvitationStatus}
    return templating.form_page(
        request,
        "outreach/overview.html",
        {
            "access": acc,
            "statement": statement,
            "rows": rows,
            "totals": totals,
            "labels": service.status_labels(),
            "schedule": reminders.schedule(session, statement=statement),
            "referrals": referrals.referral_counts(session, statement=statement),
            "series": series,
            "chart": chart.svg(series),
            "legend": chart.legend(series),
            "country_label": chart.country_label,
        },
        values=values,
        problem=problem,
    )


@router.get("/{slug}/outreach")
def overview(request: Request, acc: StatementViewer, session: SessionDep) -> Response:
    return _overview(request, session, acc)


@router.post("/{slug}/outreach/referrals")
def add_referral(
    request: Request,
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    label: ShortText = "",
) -> Response:
    with db.attempt(session, FieldErrors) as outcome:
        referrals.add_referral(session, statement=acc.statement, actor=user, label=label)
    if outcome.error is not None:
        return _overview(request, session, acc, values={"label": label}, problem=outcome.error)
    return templating.redirect(_base(acc) + "#referrals")


# --- the roster ------------------------------------------------------------------------


def _roster_page(
    request: Request,
    session: SessionDep,
    acc: Access,
    user: CurrentUser,
    *,
    values: dict[str, str] | None = None,
    problem: AppError | None = None,
    result: roster.ImportResult | None = None,
) -> Response:
    return templating.form_page(
        request,
        "outreach/roster.html",
        {
            "access": acc,
            "statement": acc.statement,
            "entries": roster.roster(session, statement=acc.statement),
            "sources": roster.earlier_statements(session, statement=acc.statement, user=user),
            "countries": countries.options(),
            "languages": language_options(),
            "country_label": chart.country_label,
            "result": result,
        },
        values=values,
        problem=problem,
    )


@router.get("/{slug}/outreach/roster")
def roster_page(
    request: Request, acc: StatementEditor, session: SessionDep, user: CurrentUser
) -> Response:
    return _roster_page(request, session, acc, user)


@router.post("/{slug}/outreach/roster")
def add_contact(
    request: Request, acc: StatementEditor, session: SessionDep, user: CurrentUser, form: FormDep
) -> Response:
    values = {k: str(form.get(k, ""))[:2000] for k in roster.FIELDS}
    with db.attempt(session, FieldErrors) as outcome:
        roster.add_contact(session, statement=acc.statement, actor=user, values=values)
    if outcome.error is not None:
        return _roster_page(request, session, acc, user, values=values, problem=outcome.error)
    return templating.redirect(_base(acc) + "/roster")


@router.post("/{slug}/outreach/roster/import")
def import_csv(
    request: Request,
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    csv: LongText = "",
) -> Response:
    with db.attempt(session, FieldErrors) as outcome:
        result = roster.import_csv(session, statement=acc.statement, actor=user, text=csv)
    if outcome.error is not None:
        return _roster_page(request, session, acc, user, values={"csv": csv}, problem=outcome.error)
    return _roster_page(request, session, acc, user, result=result)


@router.post("/{slug}/outreach/roster/signers")
def import_signers(
    request: Request,
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    source: ShortText = "",
) -> Response:
    result = roster.import_signers(session, statement=acc.statement, actor=user, source_slug=source)
    return _roster_page(request, session, acc, user, result=result)


@router.post("/{slug}/outreach/roster/{contact_id:int}/remove")
def remove_contact(
    request: Request, acc: StatementEditor, contact_id: int, session: SessionDep, user: CurrentUser
) -> Response:
    roster.remove_contact(session, statement=acc.statement, actor=user, contact_id=contact_id)
    return templating.redirect(_base(acc) + "/roster")


# --- inviting ---------------------------------------------------------------------------


def _invite_page(
    request: Request,
    session: SessionDep,
    acc: Access,
    user: CurrentUser,
    *,
    filters: dict[str, str],
    chosen: set[int] | None,
    pasted: str = "",
    check: service.PastedCheck | None = None,
    reviewed: str = "",
    message: str | None = None,
    hours: list[str] | None = None,
    problem: AppError | None = None,
) -> Response:
    statement = acc.statement
    entries = roster.roster(session, statement=statement)
    invited = {r.invitation.contact_id for r in service.invitations(session, statement=statement)}
    shown = service.roster_filter(
        entries,
        country=filters.get("country", ""),
        group=filters.get("group", ""),
        source=filters.get("source", ""),
    )
    plan = service.plan_for(session, statement=statement)
    planned = [str(h) for h in reminders.hours_of(plan)]
    return templating.form_page(
        request,
        "outreach/invite.html",
        {
            "access": acc,
            "statement": statement,
            "shown": shown,
            "invited": invited,
            "chosen": chosen,
            "filters": filters,
            "country_choices": sorted({e.country for e in entries if e.country}),
            "group_choices": sorted({e.group_name for e in entries if e.group_name}),
            "source_choices": roster.earlier_statements(session, statement=statement, user=user),
            "country_label": chart.country_label,
            "pasted": pasted,
            "check": check,
            "reviewed": reviewed,
            "message": plan.message if message is None else message,
            "hours": (hours if hours is not None else planned) + ["", ""],
        },
        problem=problem,
    )


@router.get("/{slug}/outreach/invite")
def invite_page(
    request: Request,
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    country: str = "",
    group: str = "",
    source: str = "",
) -> Response:
    filters = {"country": country[:2], "group": group[:100], "source": source[:20]}
    return _invite_page(request, session, acc, user, filters=filters, chosen=None)


@router.post("/{slug}/outreach/invite")
def invite_submit(
    request: Request, acc: StatementEditor, session: SessionDep, user: CurrentUser, form: FormDep
) -> Response:
    """ "Review": show what would be sent (invalid and duplicate addresses set apart).
    "Send": save the message and reminder times, and queue the invitations."""
    chosen = {int(v) for v in form.getlist("contact") if isinstance(v, str) and v.isdigit()}
    pasted = str(form.get("addresses", ""))[:500_000]
    message = str(form.get("message", ""))[:20_000]
    hours = [str(v)[:10] for v in form.getlist("reminder")][:4]
    filters = {k: str(form.get(k, ""))[:100] for k in ("country", "group", "source")}
    sending = form.get("step") == "send"
    with db.attempt(session, FieldErrors) as outcome:
        check = service.check_pasted(session, statement=acc.statement, text=pasted)
        service.save_plan(
            session, statement=acc.statement, actor=user, message=message, reminders=hours
        )
        # Addresses that will not be sent are shown first, whichever button was pressed.
        if (check.invalid or check.duplicates) and form.get("reviewed") != _digest(pasted):
            sending = False
        if sending:
            invitees = service.invitees_from_roster(
                session, statement=acc.statement, contact_ids=sorted(chosen)
            ) + [messages.Invitee(email=a) for a in check.valid]
            service.send_invitations(
                session, statement=acc.statement, actor=user, invitees=invitees
            )
    if outcome.error is not None or not sending:
        return _invite_page(
            request,
            session,
            acc,
            user,
            filters=filters,
            chosen=chosen,
            pasted=pasted,
            check=None if outcome.error else check,
            reviewed=_digest(pasted),
            message=message,
            hours=hours,
            problem=outcome.error,
        )
    return templating.redirect(_base(acc))


# --- the invitee's links ----------------------------------------------------------------


@public_router.get("/s/{slug}/sign/i/{token}")
def invited_sign_form(
    request: Request, statement: PublicStatement, session: SessionDep, token: str
) -> Response:
    values = service.prefill(session, statement=statement, token=token)
    response = signing.sign_page(request, session, statement, values=values)
    response.headers.update(headers.SECRET_PAGE)
    return response


def _answer_page(
    request: Request, session: SessionDep, token: str, what: str, done: bool
) -> Response:
    invitation, statement = service.invitation_for_link(session, token=token)
    response = templating.page(
        request,
        "outreach/answer.html",
        {
            "what": what,
            "done": done,
            "invitation": invitation,
            "statement": statement,
            "version": statements.current_version(session, statement=statement),
            "token": token,
        },
    )
    response.headers.update(headers.SECRET_PAGE)
    return response


@public_router.get("/o/{token}/decline")
def decline_page(request: Request, token: str, session: SessionDep) -> Response:
    return _answer_page(request, session, token, "decline", done=False)


@public_router.post("/o/{token}/decline")
def decline_submit(request: Request, token: str, session: SessionDep) -> Response:
    service.decline(session, token=token)
    return _answer_page(request, session, token, "decline", done=True)


@public_router.get("/o/{token}/stop")
def stop_page(request: Request, token: str, session: SessionDep) -> Response:
    return _answer_page(request, session, token, "stop", done=False)


@public_router.post("/o/{token}/stop")
def stop_submit(request: Request, token: str, session: SessionDep) -> Response:
    service.stop_reminders(session, token=token)
    return _answer_page(request, session, token, "stop", done=True)


@public_router.get("/s/{slug}/signing-over-time.json")
def signing_over_time(statement: PublicStatement, session: SessionDep) -> Response:
    assert statement.id is not None
    counts = chart.public_counts(
        session, statement_id=statement.id, zone_name=statement.deadline_zone
    )
    counts["as_of"] = utcnow().isoformat()
    return JSONResponse(counts, headers={"Cache-Control": "public, max-age=60"})
