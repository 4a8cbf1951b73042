"""Verification in the API: part of each organisation's team signature."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.signatures.verification.models import Dmarc, Level, OrgVerification


class Verification(BaseModel):
    level: Level = Field(
        description="declared, mailbox (on the website's domain, with DMARC enforced), "
        "second_person or domain_control."
    )
    dmarc: Dmarc = Field(description='The mail domain\'s DMARC policy; "" before a check.')
    reasons: list[str] = Field(description="Why the level is not higher, in English.")
    disputed: bool = Field(description="The organisation's known address said it did not sign.")
    checked_at: datetime | None

    @classmethod
    def of(cls, row: OrgVerification | None) -> Verification:
        if row is None:
            return cls(level=Level.DECLARED, dmarc=Dmarc.UNCHECKED, reasons=[], disputed=False,
                       checked_at=None)  # fmt: skip
        return cls(
            level=row.level,
            dmarc=row.dmarc,
            reasons=[r for r in row.reason.split("\n") if r],
            disputed=row.disputed_at is not None,
            checked_at=row.checked_at,
        )
