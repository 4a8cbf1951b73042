"""The import's "Group" column: each row lands in the group its cell names (matched by
name whatever its case or spacing); an unknown name stops the import, with the row shown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.signatures.importing import columns as import_columns
from app.signatures.models import Signature
from app.statements.groups import service as groups
from app.statements.models import Statement
from tests.factories import PASSWORD, make_user, open_statement
from tests.helpers import sign_in
from tests.signatures.test_import import form_of, to_preview

CSV = (
    "Email Address,Your name,Organization name,Country,Signing as,Group\n"
    "a@one.example,Kim,One Org,KR,Organisation,  coordinating PARTNERS \n"
    "b@two.example,Lee,Two Org,DE,Organisation,\n"
    "c@three.example,Park,Three Org,JP,Organisation,협력 단체\n"
)


@pytest.fixture
def lead(client: TestClient, db: Session) -> Iterator[Statement]:
    owner = make_user(db, email="lead@example.org")
    statement = open_statement(db, owner=owner, slug="tiers-import")
    groups.add_group(db, statement=statement, actor=owner, name="Coordinating partners")
    groups.add_group(db, statement=statement, actor=owner, name="협력 단체")
    db.commit()
    sign_in(client, "lead@example.org", PASSWORD)
    yield statement


def test_the_group_column_is_guessed() -> None:
    mapping = import_columns.suggest_mapping(["Email Address", "Name", "Group", "Tier"])
    assert mapping == {"Email Address": "email", "Name": "name", "Group": "group", "Tier": "ignore"}
    assert import_columns.suggest_mapping(["서명 그룹"]) == {"서명 그룹": "group"}


def test_rows_land_in_the_groups_their_cells_name(
    client: TestClient, db: Session, lead: Statement
) -> None:
    preview = to_preview(client, lead.slug, CSV.encode())
    assert preview.status_code == 200, preview.text
    assert "3 signatures ready to import" in preview.text
    # The preview says where each row goes; an empty cell goes to the default group.
    assert "Coordinating partners" in preview.text and "Signatories" in preview.text
    commit = form_of(preview, f"/statements/{lead.slug}/import/commit")
    done = client.post(
        f"/statements/{lead.slug}/import/commit", data=commit, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    by_name = {g.name: g.id or 0 for g in groups.groups_for(db, statement=lead)}
    placed = {
        s.organisation: s.group_id
        for s in db.exec(select(Signature).where(col(Signature.statement_id) == lead.id))
    }
    assert placed == {
        "One Org": by_name["Coordinating partners"],
        "Two Org": None,  # listed in the default group
        "Three Org": by_name["협력 단체"],
    }
    sizes = groups.group_sizes(db, statement=lead)
    assert sizes[by_name["Coordinating partners"]] == 1
    assert sizes[by_name["Signatories"]] == 1


def test_an_unknown_group_is_a_row_error_and_nothing_is_imported(
    client: TestClient, db: Session, lead: Statement
) -> None:
    bad = CSV + "d@four.example,Choi,Four Org,FR,Organisation,Partnrs\n"
    preview = to_preview(client, lead.slug, bad.encode())
    assert preview.status_code == 200, preview.text
    assert "1 row with problems" in preview.text
    assert "“Partnrs” is not one of this statement&#39;s groups" in preview.text
    assert f"/statements/{lead.slug}/import/commit" not in preview.text
    # Posting the import anyway (a stale page) imports nothing and creates no group.
    fields = form_of(preview, f"/statements/{lead.slug}/import/mapping")
    fields["skip_duplicates"] = ["1"]
    refused = client.post(f"/statements/{lead.slug}/import/commit", data=fields)
    assert refused.status_code == 422
    assert "Row 5" in refused.text
    count = db.exec(select(func.count()).select_from(Signature)).one()
    assert count == 0
    assert [g.name for g in groups.groups_for(db, statement=lead)] == [
        "Signatories",
        "Coordinating partners",
        "협력 단체",
    ]
