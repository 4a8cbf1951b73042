"""One person signing for several organisations in one submission.

The person (name, title, email, how to be listed, consent) is given once; each
organisation has its own block: its name, acronym, website, ECOSOC status, country and its
own "I am authorised to sign for this organisation". Each block becomes its own signature
(`service.record_all`), with its own confirmation.

The sign form names the first block's fields as a single organisation's always were
(`organisation`, `country`, `authorised`, …) and block n's with a suffix (`organisation-2`);
the form works without JavaScript: "Add another organisation" and each block's "Remove"
are submit buttons (`ACTION`) that give the form back with what was typed. The API sends a
list (`organisations`). Either way every block is checked before anything is written: one
bad block, or two naming the same organisation, and nothing is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from app.core.errors import FieldErrors
from app.core.i18n import gettext as _
from app.signatures.forms import CleanSign, SignInput
from app.signatures.models import SignerKind
from app.signatures.signing import service
from app.statements.models import Statement

MAX_ORGANISATIONS = 10
# What each organisation block holds; everything else is the person's, given once.
BLOCK_FIELDS = ("organisation", "acronym", "website", "ecosoc_status", "country", "authorised")
COUNT = "organisations"  # the form's hidden field: how many blocks it shows
ACTION = "action"  # the button pressed: "sign" (also Enter), "add", "remove-<n>"
ADD = "add"
REMOVE = "remove-"
# An individual's country, in the person's part of the form (an organisation's is in its
# block, named `country`). Without JavaScript both are sent; the kind decides which counts.
PERSON_COUNTRY = "signer_country"


def too_many() -> str:
    return _("You can sign for at most %(n)d organisations at once.") % {"n": MAX_ORGANISATIONS}


def field_name(name: str, number: int) -> str:
    """A block's field in the form: block 1's as it always was, block n's suffixed."""
    return name if number == 1 else f"{name}-{number}"


def count(values: dict[str, str]) -> int:
    """How many organisation blocks the form holds (at least one; the cap is checked
    when signing, so a tampered count is an error, not a silent cut)."""
    try:
        return max(1, int(values.get(COUNT, "1").strip()))
    except ValueError:
        return 1


def blocks(values: dict[str, str]) -> list[dict[str, str]]:
    """Each block's fields, without their suffix, for the template."""
    return [
        {name: values.get(field_name(name, number), "") for name in BLOCK_FIELDS}
        for number in range(1, min(count(values), MAX_ORGANISATIONS) + 1)
    ]


def _with_blocks(values: dict[str, str], given: list[dict[str, str]]) -> dict[str, str]:
    kept = {
        k: v
        for k, v in values.items()
        if k != ACTION and not any(k == n or k.startswith(f"{n}-") for n in BLOCK_FIELDS)
    }
    for number, block in enumerate(given, start=1):
        kept |= {field_name(name, number): block.get(name, "") for name in BLOCK_FIELDS}
    return kept | {COUNT: str(len(given))}


def change(values: dict[str, str]) -> tuple[dict[str, str], dict[str, str]] | None:
    """The form again after "Add another organisation" or "Remove": its values (the blocks
    renumbered) and any error; None when the button pressed was "Sign"."""
    action = values.get(ACTION, "")
    given = blocks(values)
    if action == ADD:
        if count(values) >= MAX_ORGANISATIONS:
            return _with_blocks(values, given), {COUNT: too_many()}
        # Adding a block means signing for organisations.
        return _with_blocks(values, [*given, {}]) | {"kind": SignerKind.ORGANISATION.value}, {}
    if action.startswith(REMOVE):
        number = action.removeprefix(REMOVE)
        if number.isdigit() and 1 < int(number) <= len(given):
            del given[int(number) - 1]
        return _with_blocks(values, given), {}
    return None


def person(values: dict[str, str]) -> dict[str, str]:
    """What the person gives once; an individual's country is theirs."""
    kept = {k: v for k, v in values.items() if k not in BLOCK_FIELDS}
    if values.get("kind") != SignerKind.ORGANISATION.value:
        kept["country"] = values.get(PERSON_COUNTRY) or values.get("country", "")
    return kept


def check_form(*, statement: Statement, values: dict[str, str]) -> list[CleanSign]:
    """The sign form's submission, cleaned: one signature for an individual, one per block
    for organisations. `FieldErrors` named as the form's fields (`organisation-2`)."""
    if values.get("kind") != SignerKind.ORGANISATION.value:
        return check(statement=statement, person=person(values), organisations=[], key=_form_key)
    if count(values) > MAX_ORGANISATIONS:
        raise FieldErrors({COUNT: too_many()})
    return check(
        statement=statement, person=person(values), organisations=blocks(values), key=_form_key
    )


def _form_key(name: str, index: int) -> str:
    return field_name(name, index + 1)


def check(
    *,
    statement: Statement,
    person: dict[str, str],
    organisations: Sequence[dict[str, str]],
    key: Callable[[str, int], str],
    now: datetime | None = None,
) -> list[CleanSign]:
    """Every organisation (or, with none, the person alone) cleaned as the sign form
    cleans one signature (`service.check`); all or nothing. `key(field, index)` names an
    organisation's field in the errors."""
    if not organisations:
        return [service.check(statement=statement, data=SignInput.model_validate(person), now=now)]
    if len(organisations) > MAX_ORGANISATIONS:
        raise FieldErrors({COUNT: too_many()})
    errors: dict[str, str] = {}
    cleans: list[CleanSign] = []
    first: dict[str, int] = {}  # an organisation's key → the block that named it first
    for index, block in enumerate(organisations):
        data = SignInput.model_validate(person | {n: block.get(n, "") for n in BLOCK_FIELDS})
        try:
            clean = service.check(statement=statement, data=data, now=now)
        except FieldErrors as exc:
            errors |= {
                (key(f, index) if f in BLOCK_FIELDS else f): m for f, m in exc.errors.items()
            }
            continue
        earlier = first.setdefault(clean.org_party_key, index)
        if earlier != index:
            errors[key("organisation", index)] = _(
                "You named this organisation already (organisation %(n)d): sign for each "
                "organisation once."
            ) % {"n": earlier + 1}
        cleans.append(clean)
    if errors:
        raise FieldErrors(errors)
    return cleans
