"""The one definition of a signer's details agrees with the table, the team rows and the
shapes made from it."""

from __future__ import annotations

from dataclasses import fields

from app.lists.data import TeamRow
from app.signatures import details
from app.signatures.forms import SignInput
from app.signatures.importing import columns
from app.signatures.models import Signature
from app.signatures.schemas import SignatureCreate


def test_stored_limits_are_the_tables() -> None:
    table = Signature.__table__.c  # type: ignore[attr-defined]
    for detail in details.all_details():
        if detail.is_text:
            assert table[detail.name].type.length == detail.limit, detail.name
        else:
            assert detail.name in table


def test_every_shape_has_every_detail_in_order() -> None:
    assert tuple(SignInput.model_fields) == details.NAMES
    assert tuple(SignatureCreate.model_fields)[: len(details.NAMES)] == details.NAMES
    assert columns.FIELDS == details.NAMES
    # The group is not a signer's detail: an import column of its own.
    assert set(columns.field_labels()) == {columns.IGNORE, columns.GROUP, *details.NAMES}


def test_team_rows_carry_the_exported_details() -> None:
    row_fields = {f.name for f in fields(TeamRow)}
    assert {d.name for d in details.exported()} <= row_fields


def test_the_api_sends_what_the_form_posts() -> None:
    body = SignatureCreate.model_validate(
        {
            "kind": "organisation",
            "name": "Lee",
            "email": "lee@example.org",
            "authorised": True,
            "consent_privacy": True,
        }
    )
    assert body.to_input() == SignInput(
        kind="organisation",
        name="Lee",
        email="lee@example.org",
        listing="named",
        authorised="true",
        consent_privacy="true",
    )
