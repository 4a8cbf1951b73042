"""Signatory groups (tiers) and how the lead presents the list: its heading, its "as of"
date, the order of names, and the sentence for speeches.

Every change touches the statement's updated_at: the cached public list is keyed on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, func, select, update

from app.accounts.models import User
from app.audit import service as audit
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict, FieldErrors, NotFound, about
from app.core.i18n import gettext as _
from app.core.text import clean_line
from app.signatures.models import Signature, SignatureStatus
from app.statements.groups.models import SignatoryGroup
from app.statements.models import ListSort, Statement, StatementStatus

MAX_NAME = 200
MAX_TEMPLATE = 2000
PROSE_STEPS = (1, 10, 50, 100)
PLACEHOLDERS = ("{partners}", "{organisations}", "{countries}", "{names}")
# The default group's name in the statement's language: a name is data the lead may
# rename, so it is stored, not translated at each reading.
_DEFAULT_NAMES = {"ko": "서명 단체 및 개인"}


def default_name(language: str) -> str:
    return _DEFAULT_NAMES.get(language.split("-")[0], "Signatories")


# --- reading --------------------------------------------------------------------------


def groups_for(session: Session, *, statement: Statement) -> list[SignatoryGroup]:
    """The statement's groups in their order; a statement made before groups existed
    gets its default group on first reading."""
    found = list(
        session.exec(
            select(SignatoryGroup)
            .where(col(SignatoryGroup.statement_id) == statement.id)
            .order_by(col(SignatoryGroup.position), col(SignatoryGroup.id))
        )
    )
    if not found:
        found = [create_default_group(session, statement=statement)]
    return found


def group_sizes(session: Session, *, statement: Statement) -> dict[int, int]:
    """How many approved signatures each group lists (the default one includes those in
    no group)."""
    found = groups_for(session, statement=statement)
    rows = session.exec(
        select(col(Signature.group_id), func.count())
        .where(
            col(Signature.statement_id) == statement.id,
            col(Signature.status) == SignatureStatus.APPROVED,
        )
        .group_by(col(Signature.group_id))
    ).all()
    known = {g.id for g in found}
    fallback = default_group(found).id
    sizes: dict[int, int] = {g.id: 0 for g in found if g.id is not None}
    for group_id, count in rows:
        target = group_id if group_id in known else fallback
        if target is not None:
            sizes[target] = sizes.get(target, 0) + int(count)
    return sizes


def get_group(session: Session, *, statement: Statement, group_id: int) -> SignatoryGroup:
    group = session.get(SignatoryGroup, group_id)
    if group is None or group.statement_id != statement.id:
        raise NotFound(_("No such group."))
    return group


def default_group(groups: Sequence[SignatoryGroup]) -> SignatoryGroup:
    return next((g for g in groups if g.is_default), groups[0])


def prose_group(groups: Sequence[SignatoryGroup]) -> SignatoryGroup:
    return next((g for g in groups if g.in_prose), default_group(groups))


def group_of(signature: Signature, groups: Sequence[SignatoryGroup]) -> SignatoryGroup:
    """The group a signature is listed in: its own, or the default one."""
    return next((g for g in groups if g.id == signature.group_id), default_group(groups))


# --- changing -------------------------------------------------------------------------


def create_default_group(session: Session, *, statement: Statement) -> SignatoryGroup:
    assert statement.id is not None
    group = SignatoryGroup(
        statement_id=statement.id,
        name=default_name(statement.language),
        position=0,
        is_default=True,
        in_prose=True,
    )
    session.add(group)
    session.flush()
    return group


def _editable(statement: Statement) -> None:
    if statement.status == StatementStatus.FINAL:
        raise Conflict(_("A final statement cannot be changed."))


def _name(value: str) -> str:
    label = _("Group name")
    try:
        name = clean_line(value, max_length=MAX_NAME)
    except BadRequest as exc:  # shown next to the field, with the form
        raise FieldErrors({"name": about(label, str(exc))}) from exc
    if not name:
        raise FieldErrors({"name": about(label, _("Please give the group a name."))})
    return name


def _touch(statement: Statement, now: datetime | None = None) -> None:
    statement.updated_at = now or utcnow()


def add_group(session: Session, *, statement: Statement, actor: User, name: str) -> SignatoryGroup:
    _editable(statement)
    clean = _name(name)
    existing = groups_for(session, statement=statement)
    assert statement.id is not None
    group = SignatoryGroup(
        statement_id=statement.id,
        name=clean,
        position=max(g.position for g in existing) + 1,
    )
    session.add(group)
    _touch(statement)
    audit.record(
        session, statement_id=statement.id, actor=actor, action="group_added", detail=clean
    )
    session.flush()
    return group


def rename_group(
    session: Session, *, statement: Statement, actor: User, group_id: int, name: str
) -> SignatoryGroup:
    _editable(statement)
    group = get_group(session, statement=statement, group_id=group_id)
    clean = _name(name)
    before, group.name = group.name, clean
    _touch(statement)
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="group_renamed",
        detail=f"{before} → {clean}",
    )
    session.flush()
    return group


def move_group(
    session: Session, *, statement: Statement, actor: User, group_id: int, up: bool
) -> None:
    """One place up or down; positions are renumbered 0, 1, 2… as they go."""
    _editable(statement)
    groups = groups_for(session, statement=statement)
    group = get_group(session, statement=statement, group_id=group_id)
    index = groups.index(group)
    other = index - 1 if up else index + 1
    if 0 <= other < len(groups):
        groups[index], groups[other] = groups[other], groups[index]
    for position, each in enumerate(groups):
        each.position = position
    _touch(statement)
    audit.record(
        session, statement_id=statement.id, actor=actor, action="group_moved", detail=group.name
    )
    session.flush()


def reorder_groups(
    session: Session, *, statement: Statement, actor: User, group_ids: Sequence[int]
) -> list[SignatoryGroup]:
    """All the statement's groups in a new order (the API; the page moves one at a time)."""
    _editable(statement)
    groups = groups_for(session, statement=statement)
    by_id = {g.id: g for g in groups}
    if len(group_ids) != len(groups) or set(group_ids) != set(by_id):
        raise FieldErrors(
            {"group_ids": about(_("Order"), _("List every group of the statement once."))}
        )
    ordered = [by_id[i] for i in group_ids]
    for position, group in enumerate(ordered):
        group.position = position
    _touch(statement)
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="group_moved",
        detail=", ".join(g.name for g in ordered),
    )
    session.flush()
    return ordered


def make_default(session: Session, *, statement: Statement, actor: User, group_id: int) -> None:
    """New signatures, and those in no group, go to this one."""
    _editable(statement)
    chosen = get_group(session, statement=statement, group_id=group_id)
    groups = groups_for(session, statement=statement)
    before = default_group(groups)
    if before.id != chosen.id:
        # Signatures listed in the old default only by default stay where they are.
        session.exec(
            update(Signature)
            .where(col(Signature.statement_id) == statement.id, col(Signature.group_id).is_(None))
            .values(group_id=before.id)
        )
    for group in groups:
        group.is_default = group.id == chosen.id
    _touch(statement)
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="group_default",
        detail=chosen.name,
    )
    session.flush()


def delete_group(session: Session, *, statement: Statement, actor: User, group_id: int) -> None:
    """Its signatures go back to the default group (the default itself stays)."""
    _editable(statement)
    group = get_group(session, statement=statement, group_id=group_id)
    if group.is_default:
        raise Conflict(_("Make another group the default before deleting this one."))
    session.exec(
        update(Signature)
        .where(col(Signature.statement_id) == statement.id, col(Signature.group_id) == group.id)
        .values(group_id=None)
    )
    session.delete(group)
    _touch(statement)
    audit.record(
        session, statement_id=statement.id, actor=actor, action="group_deleted", detail=group.name
    )
    session.flush()


def assign_signatures(
    session: Session,
    *,
    statement: Statement,
    actor: User,
    signature_ids: Sequence[int],
    group_id: int,
) -> int:
    """Move signatures (one, or a ticked page of them) into a group; returns how many."""
    _editable(statement)
    group = get_group(session, statement=statement, group_id=group_id)
    ids = sorted({i for i in signature_ids if 0 < i < 2**31})
    if not ids:
        return 0
    result = session.exec(
        update(Signature)
        .where(col(Signature.statement_id) == statement.id, col(Signature.id).in_(ids))
        .values(group_id=group.id)
    )
    changed = int(result.rowcount or 0)
    _touch(statement)
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="group_assigned",
        detail=_("%(n)d signatures to “%(group)s”") % {"n": changed, "group": group.name},
    )
    session.flush()
    return changed


@dataclass(frozen=True)
class ListSettings:
    heading: str = ""
    as_of: str = ""  # ISO date as typed, "" for the day the list is made
    sort: str = ListSort.NAME.value  # a ListSort value, as typed
    ignore_articles: bool = False
    prose_group_id: int | None = None
    prose_step: int = 1
    prose_template: str = ""


def update_list_settings(
    session: Session, *, statement: Statement, actor: User, data: ListSettings
) -> None:
    """The list's heading, "as of" date, order and the sentence for speeches."""
    _editable(statement)
    errors: dict[str, str] = {}
    heading = ""
    try:
        heading = clean_line(data.heading, max_length=MAX_NAME)
    except BadRequest as exc:
        errors["heading"] = about(_("Heading"), str(exc))
    as_of: date | None = None
    if data.as_of.strip():
        try:
            as_of = date.fromisoformat(data.as_of.strip())
        except ValueError:
            errors["as_of"] = about(_("As of"), _("Please give a date such as 2025-03-14."))
    try:
        sort = ListSort(data.sort)
    except ValueError:
        errors["sort"] = about(_("Order"), _("Please choose one of the orders offered."))
        sort = statement.list_sort
    if data.prose_step not in PROSE_STEPS:
        errors["prose_step"] = about(_("Round counts"), _("Please choose 1, 10, 50 or 100."))
    template = data.prose_template.replace("\r\n", "\n").strip()
    if len(template) > MAX_TEMPLATE:
        errors["prose_template"] = about(
            _("Sentence"), _("Please keep this under %(n)d characters.") % {"n": MAX_TEMPLATE}
        )
    elif template and not _template_ok(template):
        errors["prose_template"] = about(
            _("Sentence"),
            _("Use only the placeholders %(list)s, each in braces.")
            % {"list": ", ".join(PLACEHOLDERS)},
        )
    groups = groups_for(session, statement=statement)
    if data.prose_group_id is not None and data.prose_group_id not in {g.id for g in groups}:
        errors["prose_group"] = about(_("Group named"), _("No such group."))
    if errors:
        raise FieldErrors(errors)
    statement.list_heading = heading
    statement.list_as_of = as_of
    statement.list_sort = sort
    statement.ignore_articles = data.ignore_articles
    statement.prose_step = data.prose_step
    statement.prose_template = template
    if data.prose_group_id is not None:
        for group in groups:
            group.in_prose = group.id == data.prose_group_id
    _touch(statement)
    audit.record(session, statement_id=statement.id, actor=actor, action="list_settings")
    session.flush()


def _template_ok(template: str) -> bool:
    """Only the known placeholders in braces: a lone brace or "{other}" would fail."""
    rest = template
    for placeholder in PLACEHOLDERS:
        rest = rest.replace(placeholder, "")
    return "{" not in rest and "}" not in rest
