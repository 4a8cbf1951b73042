"""Who may do what on a statement. Its team spans organisations: owners, editors, viewers.

Outside the team a statement that is not public does not exist: 404, never 403, so a
probe learns nothing about drafts.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.audit import service as audit
from app.core.errors import BadRequest, Conflict, Forbidden, NotFound
from app.core.i18n import gettext as _
from app.core.text import normalise_email
from app.statements.models import Statement, TeamMember, TeamRole

RANK = {TeamRole.VIEWER: 1, TeamRole.EDITOR: 2, TeamRole.OWNER: 3}


@dataclass(frozen=True)
class Access:
    statement: Statement
    role: TeamRole

    @property
    def can_edit(self) -> bool:
        return RANK[self.role] >= RANK[TeamRole.EDITOR]

    @property
    def is_owner(self) -> bool:
        return self.role == TeamRole.OWNER


def role_of(session: Session, *, statement: Statement, user: User) -> TeamRole | None:
    member = session.exec(
        select(TeamMember).where(
            col(TeamMember.statement_id) == statement.id, col(TeamMember.user_id) == user.id
        )
    ).first()
    return member.role if member else None


def access(session: Session, *, slug: str, user: User, need: TeamRole = TeamRole.VIEWER) -> Access:
    """The statement if `user` is on its team with at least the `need`ed role."""
    statement = session.exec(select(Statement).where(col(Statement.slug) == slug)).first()
    if statement is None:
        raise NotFound()
    role = role_of(session, statement=statement, user=user)
    if role is None:
        raise NotFound()
    if RANK[role] < RANK[need]:
        raise Forbidden(
            _("Your role on this statement (%(role)s) does not allow this.")
            % {"role": role_label(role)}
        )
    return Access(statement=statement, role=role)


def role_label(role: TeamRole) -> str:
    return {
        TeamRole.OWNER: _("owner"),
        TeamRole.EDITOR: _("editor"),
        TeamRole.VIEWER: _("viewer"),
    }[role]


def statements_for(session: Session, *, user: User) -> list[tuple[Statement, TeamRole]]:
    rows = session.exec(
        select(Statement, TeamMember)
        .join(TeamMember, col(TeamMember.statement_id) == col(Statement.id))
        .where(col(TeamMember.user_id) == user.id)
        .order_by(col(Statement.deadline_at).desc())
    )
    return [(statement, member.role) for statement, member in rows]


def members(session: Session, *, statement: Statement) -> list[tuple[TeamMember, User]]:
    rows = session.exec(
        select(TeamMember, User)
        .join(User, col(User.id) == col(TeamMember.user_id))
        .where(col(TeamMember.statement_id) == statement.id)
        .order_by(col(User.name))
    )
    return [(member, user) for member, user in rows]


def add_member(
    session: Session, *, statement: Statement, actor: User, email: str, role: TeamRole
) -> TeamMember:
    """Add an existing lead (from any organisation) to the team."""
    address = normalise_email(email)
    user = session.exec(select(User).where(col(User.email) == address)).first()
    if user is None or not user.is_active:
        raise BadRequest(
            _("No lead has the address %(email)s. An administrator can invite them first.")
            % {"email": address}
        )
    if role_of(session, statement=statement, user=user) is not None:
        raise Conflict(_("%(name)s is already on the team.") % {"name": user.name})
    assert statement.id is not None and user.id is not None
    member = TeamMember(statement_id=statement.id, user_id=user.id, role=role)
    session.add(member)
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="team member added",
        detail=f"{user.name} <{user.email}>: {role_label(role)}",
    )
    session.flush()
    return member


def change_role(
    session: Session, *, statement: Statement, actor: User, member_id: int, role: TeamRole
) -> None:
    member, user = _member(session, statement, member_id)
    if member.role == TeamRole.OWNER and role != TeamRole.OWNER:
        _keep_an_owner(session, statement)
    member.role = role
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="team role changed",
        detail=f"{user.name}: {role_label(role)}",
    )
    session.flush()


def remove_member(session: Session, *, statement: Statement, actor: User, member_id: int) -> None:
    member, user = _member(session, statement, member_id)
    if member.role == TeamRole.OWNER:
        _keep_an_owner(session, statement)
    session.delete(member)
    audit.record(
        session,
        statement_id=statement.id,
        actor=actor,
        action="team member removed",
        detail=user.name,
    )
    session.flush()


def _member(session: Session, statement: Statement, member_id: int) -> tuple[TeamMember, User]:
    row = session.exec(
        select(TeamMember, User)
        .join(User, col(User.id) == col(TeamMember.user_id))
        .where(col(TeamMember.id) == member_id, col(TeamMember.statement_id) == statement.id)
    ).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def _keep_an_owner(session: Session, statement: Statement) -> None:
    owners = session.exec(
        select(TeamMember.id).where(
            col(TeamMember.statement_id) == statement.id, col(TeamMember.role) == TeamRole.OWNER
        )
    ).all()
    if len(owners) <= 1:
        raise Conflict(_("A statement needs at least one owner. Make someone else owner first."))
