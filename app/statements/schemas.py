"""What the API accepts and returns. Explicit fields only: rows are never dumped wholesale,
so a new column never leaks by accident.

Input is converted to the same `StatementInput` the HTML forms use, so the service gives
both paths the same field errors (422 here, messages beside the fields there).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from app.statements.inputs import MAX_BODY, StatementInput
from app.statements.models import (
    ListOrder,
    Moderation,
    SignerKinds,
    StatementStatus,
    TeamRole,
)
from app.statements.translations.schemas import PublicTranslation

LOCAL_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$"
LOCAL_TIME_HELP = (
    "Wall-clock date and time in `deadline_zone`, without offset: 2025-03-21T13:00. "
    "A time skipped by a clock change is refused; a repeated one needs `deadline_fold`."
)
Fold = Literal["earlier", "later"]


def split_local(value: str | None) -> tuple[str, str]:
    """ "2025-03-21T13:00" → ("2025-03-21", "13:00"), the form's two fields."""
    if not value:
        return "", ""
    day, _sep, clock = value.partition("T")
    return day, clock[:5]


class ApiInput(BaseModel):
    # An unknown field is most often a typo ("deadline" for "deadline_local"): say so.
    model_config = ConfigDict(extra="forbid")


class StatementCreate(ApiInput):
    title: str = Field(max_length=2000)
    slug: str = Field(
        default="", max_length=2000, description="The address; made from the title when empty."
    )
    summary: str = Field(default="", max_length=5000)
    addressed_to: str = Field(default="", max_length=5000)
    body: str = Field(max_length=MAX_BODY * 2, description="The text, in Markdown.")
    coordinators: list[str] = Field(
        default_factory=list, max_length=200, description="Coordinating organisations."
    )
    contact_email: str = Field(default="", max_length=2000)
    language: str = Field(default="en", max_length=40)
    signer_kinds: SignerKinds = SignerKinds.BOTH
    moderation: Moderation = Moderation.MANUAL
    list_order: ListOrder = ListOrder.INDIVIDUALS_FIRST
    deadline_local: str = Field(
        pattern=LOCAL_TIME, description=LOCAL_TIME_HELP, examples=["2025-03-21T13:00"]
    )
    deadline_zone: str = Field(max_length=80, examples=["Europe/Zurich"])
    deadline_fold: Fold | None = Field(
        default=None, description="For a local time that happens twice: which one."
    )
    opens_local: str | None = Field(
        default=None, pattern=LOCAL_TIME, description="Optional opening time, same zone."
    )

    def to_input(self) -> StatementInput:
        deadline_date, deadline_time = split_local(self.deadline_local)
        opens_date, opens_time = split_local(self.opens_local)
        return StatementInput(
            title=self.title,
            slug=self.slug,
            summary=self.summary,
            addressed_to=self.addressed_to,
            body=self.body,
            coordinators="\n".join(self.coordinators),
            contact_email=self.contact_email,
            language=self.language,
            signer_kinds=self.signer_kinds.value,
            moderation=self.moderation.value,
            list_order=self.list_order.value,
            deadline_date=deadline_date,
            deadline_time=deadline_time,
            # The service checks the stripped zone but stores it as given.
            deadline_zone=self.deadline_zone.strip(),
            deadline_fold=self.deadline_fold or "",
            opens_date=opens_date,
            opens_time=opens_time,
        )


class StatementUpdate(ApiInput):
    """Only the fields sent change. Once open, the address and deadline are fixed (use
    /deadline) and a text change must say whether it is `material`."""

    title: str | None = Field(default=None, max_length=2000)
    slug: str | None = Field(default=None, max_length=2000)
    summary: str | None = Field(default=None, max_length=5000)
    addressed_to: str | None = Field(default=None, max_length=5000)
    body: str | None = Field(default=None, max_length=MAX_BODY * 2)
    coordinators: list[str] | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=2000)
    language: str | None = Field(default=None, max_length=40)
    signer_kinds: SignerKinds | None = None
    moderation: Moderation | None = None
    list_order: ListOrder | None = None
    deadline_local: str | None = Field(default=None, pattern=LOCAL_TIME)
    deadline_zone: str | None = Field(default=None, max_length=80)
    deadline_fold: Fold | None = None
    material: StrictBool | None = Field(
        default=None, description="After opening: is this text change material (not a typo)?"
    )
    change_note: str = Field(default="", max_length=500)
    retention_days: StrictInt | None = Field(
        default=None,
        description="Days after finalisation until signers' contact details are deleted "
        "(0–3650). May change after finalisation, until the deletion.",
    )

    def changes_statement(self) -> bool:
        """Whether anything but the retention setting was sent (a final statement takes
        only that)."""
        return bool(self.model_fields_set - {"retention_days"})

    def apply_to(self, current: StatementInput) -> StatementInput:
        values = current.model_dump()
        for name in TEXT_FIELDS:
            if (value := getattr(self, name)) is not None:
                values[name] = value
        for name in ("signer_kinds", "moderation", "list_order"):
            if (choice := getattr(self, name)) is not None:
                values[name] = choice.value
        values["deadline_zone"] = values["deadline_zone"].strip()
        if self.coordinators is not None:
            values["coordinators"] = "\n".join(self.coordinators)
        if self.deadline_local is not None:
            values["deadline_date"], values["deadline_time"] = split_local(self.deadline_local)
            values["deadline_fold"] = self.deadline_fold or ""
        elif self.deadline_fold is not None:
            values["deadline_fold"] = self.deadline_fold
        return StatementInput.model_validate(values)


TEXT_FIELDS = (
    "title", "slug", "summary", "addressed_to", "body", "contact_email", "language",
    "deadline_zone",
)  # fmt: skip


class DeadlineChange(ApiInput):
    deadline_local: str = Field(pattern=LOCAL_TIME, description=LOCAL_TIME_HELP)
    deadline_zone: str = Field(max_length=80, examples=["Europe/Zurich"])
    deadline_fold: Fold | None = None
    reason: str = Field(max_length=500, description="Kept in the audit log.")


# --- responses --------------------------------------------------------------------------


class StatementSummary(BaseModel):
    slug: str
    title: str
    status: StatementStatus = Field(description="The lifecycle state.")
    public_status: StatementStatus = Field(description="What readers are told right now.")
    accepting_signatures: bool
    role: TeamRole
    version: int
    deadline: datetime = Field(description="The deadline as a UTC instant.")
    deadline_local: str = Field(description="The same deadline on the clock of deadline_zone.")
    deadline_zone: str


class StatementDetail(StatementSummary):
    summary: str
    addressed_to: str
    body: str
    body_html: str
    coordinators: list[str]
    contact_email: str
    language: str
    signer_kinds: SignerKinds
    moderation: Moderation
    list_order: ListOrder
    opens_at: datetime | None
    created_at: datetime
    updated_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    public_url: str | None = Field(description="Where the public reads it; none for a draft.")
    retention_days: int = Field(description="Days after finalisation contact details are kept.")
    contact_deletion_at: datetime | None = Field(
        description="When signers' contact details are deleted; none until final."
    )
    contact_deleted_at: datetime | None


class VersionSummary(BaseModel):
    number: int
    title: str
    change_note: str
    material: bool
    created_at: datetime


class VersionDetail(VersionSummary):
    language: str
    summary: str
    addressed_to: str
    body: str
    body_html: str


class AuditEntry(BaseModel):
    created_at: datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    detail: str


class PublicStatement(BaseModel):
    slug: str
    title: str
    summary: str
    addressed_to: str
    body: str = Field(description="Markdown.")
    body_html: str = Field(description="The same text as sanitised HTML.")
    coordinators: list[str]
    language: str
    status: StatementStatus = Field(description="open, closed or final, as readers see it.")
    deadline: datetime
    deadline_zone: str
    accepting_signatures: bool
    url: str
    translations: list[PublicTranslation] = Field(
        description="The latest version of each translation. Only the original is signed."
    )
