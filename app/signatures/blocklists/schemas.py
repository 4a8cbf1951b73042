"""What the blocklist API accepts and returns."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.signatures.blocklists.models import EntryKind
from app.statements.schemas import ApiInput


class BlocklistEntryOut(BaseModel):
    id: int
    kind: EntryKind = Field(
        description="`domain` (also holds its subdomains), `address` or `ip_range`."
    )
    value: str = Field(description="Normalised: what signatures are compared with.")
    note: str
    added_by: str
    added_at: datetime


class BlocklistEntryCreate(ApiInput):
    value: str = Field(
        max_length=1000,
        description="`example.org` (a domain and its subdomains), `name@example.org`, "
        "or an IP range such as `203.0.113.0/24` or `2001:db8::/32`.",
    )
    note: str = Field(default="", max_length=1000, description="Why, for the rest of the team.")


class BlocklistCopy(ApiInput):
    from_statement: str = Field(
        max_length=1000, description="The address (slug) of another statement on your team."
    )


class BlocklistCopied(BaseModel):
    added: int = Field(description="Entries added; those already on the list are skipped.")
