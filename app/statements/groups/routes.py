"""The team's page for the signatory list: its groups (tiers), heading, "as of" date, order,
and the sentence for speeches; assigning signatures to a group."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import AppError, BadRequest, FieldErrors
from app.core.forms import FormDep
from app.core.i18n import gettext as _
from app.lists import service as lists
from app.lists.hrc import routes as hrc_routes
from app.lists.renderers.text import in_language
from app.statements.deps import StatementEditor, StatementViewer
from app.statements.groups import service as groups
from app.statements.models import ListSort, StatementStatus
from app.statements.team import service as team

router = APIRouter(prefix="/statements")
ShortText = Annotated[str, Form(max_length=2000)]
LongText = Annotated[str, Form(max_length=4000)]


def sort_labels() -> list[tuple[str, str]]:
    return [
        (ListSort.NAME.value, _("By name")),
        (ListSort.COUNTRY.value, _("By country, then by name")),
        (ListSort.MANUAL.value, _("By the places you set, then in the order approved")),
    ]


def _page(
    request: Request,
    session: SessionDep,
    acc: team.Access,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    statement = acc.statement
    found = groups.groups_for(session, statement=statement)
    return templating.page(
        request,
        "statements/list_settings.html",
        {
            "access": acc,
            "statement": statement,
            "editable": acc.can_edit and statement.status != StatementStatus.FINAL,
            "groups": found,
            "sizes": groups.group_sizes(session, statement=statement),
            "sorts": sort_labels(),
            "group_options": [(str(g.id), g.name) for g in found],
            "step_options": [(str(n), str(n)) for n in groups.PROSE_STEPS],
            "values": values
            or {
                "heading": statement.list_heading,
                "as_of": statement.list_as_of.isoformat() if statement.list_as_of else "",
                "sort": statement.list_sort.value,
                "ignore_articles": "1" if statement.ignore_articles else "",
                "prose_group": str(groups.prose_group(found).id),
                "prose_step": str(statement.prose_step),
                "prose_template": statement.prose_template,
            },
            "errors": errors or {},
            "error": error,
            **hrc_routes.page_context(
                in_language(statement.language, lists.public_list, session, statement=statement)
            ),
        },
        status_code=status_code,
    )


def _back(slug: str) -> Response:
    return templating.redirect(f"/statements/{slug}/list", notice="list-saved")


def _number(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise BadRequest(_("Choose one of the options.")) from exc


@router.get("/{slug}/list")
def list_page(request: Request, acc: StatementViewer, session: SessionDep) -> Response:
    return _page(request, session, acc)


@router.post("/{slug}/list")
def save_settings(
    request: Request,
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    heading: ShortText = "",
    as_of: ShortText = "",
    sort: ShortText = ListSort.NAME.value,
    ignore_articles: ShortText = "",
    prose_group: ShortText = "",
    prose_step: ShortText = "1",
    prose_template: LongText = "",
) -> Response:
    values = {
        "heading": heading,
        "as_of": as_of,
        "sort": sort,
        "ignore_articles": ignore_articles,
        "prose_group": prose_group,
        "prose_step": prose_step,
        "prose_template": prose_template,
    }
    data = groups.ListSettings(
        heading=heading,
        as_of=as_of,
        sort=sort,
        ignore_articles=bool(ignore_articles),
        prose_group_id=_number(prose_group) if prose_group else None,
        prose_step=_number(prose_step),
        prose_template=prose_template,
    )
    with db.attempt(session, FieldErrors) as outcome:
        groups.update_list_settings(session, statement=acc.statement, actor=user, data=data)
    if (problem := outcome.error) is not None:
        return _page(request, session, acc, values=values, errors=problem.errors, status_code=422)
    return _back(acc.statement.slug)


@router.post("/{slug}/list/groups")
def add_group(
    request: Request,
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    name: ShortText = "",
) -> Response:
    with db.attempt(session, FieldErrors) as outcome:
        groups.add_group(session, statement=acc.statement, actor=user, name=name)
    if (problem := outcome.error) is not None:
        return _page(request, session, acc, errors=problem.errors, status_code=422)
    return _back(acc.statement.slug)


@router.post("/{slug}/list/groups/{group_id:int}")
def change_group(
    request: Request,
    acc: StatementEditor,
    session: SessionDep,
    user: CurrentUser,
    group_id: int,
    do: ShortText = "",
    name: ShortText = "",
) -> Response:
    """One form per group: rename, move up or down, make default, delete."""
    statement = acc.statement
    with db.attempt(session, AppError) as outcome:
        if do == "rename":
            groups.rename_group(
                session, statement=statement, actor=user, group_id=group_id, name=name
            )
        elif do in ("up", "down"):
            groups.move_group(
                session, statement=statement, actor=user, group_id=group_id, up=do == "up"
            )
        elif do == "default":
            groups.make_default(session, statement=statement, actor=user, group_id=group_id)
        elif do == "delete":
            groups.delete_group(session, statement=statement, actor=user, group_id=group_id)
        else:
            raise BadRequest(_("Choose one of the options."))
    if (problem := outcome.error) is not None:
        errors = problem.errors if isinstance(problem, FieldErrors) else None
        return _page(
            request,
            session,
            acc,
            errors=errors,
            error=None if errors else problem.message,
            status_code=problem.status_code,
        )
    return _back(statement.slug)


@router.post("/{slug}/signatures/group")
def assign(acc: StatementEditor, session: SessionDep, user: CurrentUser, form: FormDep) -> Response:
    """Signatures into a group: ticked on the list (bulk) or one from its own page."""
    ids = [int(v) for v in form.getlist("ids")[:1000] if isinstance(v, str) and v.isdigit()]
    raw_group = form.get("group_id")
    if not isinstance(raw_group, str) or not raw_group.isdigit():
        raise BadRequest(_("Choose a group."))
    if not ids:
        raise BadRequest(_("Select at least one signature first, with the boxes in the list."))
    groups.assign_signatures(
        session, statement=acc.statement, actor=user, signature_ids=ids, group_id=int(raw_group)
    )
    back = form.get("back")
    base = f"/statements/{acc.statement.slug}/signatures"
    target = back if isinstance(back, str) and back.startswith(base) else base
    return templating.redirect(target, notice="signatures-grouped")
