"""Every table, imported in one place for Alembic and the tests."""

from app.accounts.factors.models import (
    Passkey,
    RecoveryCode,
    SiteSetting,
    TotpFactor,
    WebAuthnChallenge,
)
from app.accounts.models import ApiToken, Invite, LoginSession, PasswordReset, SetupCode, User
from app.audit.models import AuditEvent
from app.lists.final.models import StatementSnapshot
from app.mail.models import OutboxMessage
from app.outreach.models import Arrival, Invitation, OutreachPlan, Referral, RosterContact
from app.security.ratelimit import RateCounter
from app.security.throttle import SignInFailures
from app.signatures.blocklists.models import BlocklistEntry, BlocklistHit
from app.signatures.editing.models import SignatureChange
from app.signatures.models import Signature, SignatureNote, SigningNotice
from app.signatures.retention.models import PrivacyRequest
from app.signatures.verification.models import OrgVerification, VerificationPolicy
from app.statements.groups.models import SignatoryGroup
from app.statements.models import (
    ReviewComment,
    ReviewLink,
    Statement,
    StatementVersion,
    TeamMember,
)

__all__ = [
    "ApiToken",
    "Arrival",
    "AuditEvent",
    "BlocklistEntry",
    "BlocklistHit",
    "Invitation",
    "Invite",
    "LoginSession",
    "OrgVerification",
    "OutboxMessage",
    "OutreachPlan",
    "Passkey",
    "PasswordReset",
    "PrivacyRequest",
    "RateCounter",
    "RecoveryCode",
    "Referral",
    "ReviewComment",
    "ReviewLink",
    "RosterContact",
    "SetupCode",
    "SignInFailures",
    "SignatoryGroup",
    "Signature",
    "SignatureChange",
    "SignatureNote",
    "SigningNotice",
    "SiteSetting",
    "Statement",
    "StatementSnapshot",
    "StatementVersion",
    "TeamMember",
    "TotpFactor",
    "User",
    "VerificationPolicy",
    "WebAuthnChallenge",
]
