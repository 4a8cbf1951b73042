"""Every table, imported in one place for Alembic and the tests."""

from app.accounts.models import Invite, LoginSession, SetupCode, User
from app.mail.models import OutboxMessage
from app.security.ratelimit import RateCounter

__all__ = ["Invite", "LoginSession", "OutboxMessage", "RateCounter", "SetupCode", "User"]
