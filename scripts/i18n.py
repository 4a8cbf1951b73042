"""Message catalogs, without make or a compile step.

    python scripts/i18n.py extract      the sources → app/locale/messages.pot
    python scripts/i18n.py update       messages.pot → app/locale/<lang>/LC_MESSAGES/messages.po
    python scripts/i18n.py init es      a new catalog for a language (then translate it)
    python scripts/i18n.py check        fails, listing them, if a message has no translation

English is the source language: its strings are the msgids, so it has no catalog (the app
answers English through NullTranslations). Adding a language is `init`, translating, and
nothing else: the app offers every language that has a catalog.

`check` compares the catalogs with what the sources say now (not with the .pot on disk),
so a string added without a translation is caught even before `extract` is run. A message
counts as translated when it has a non-empty, non-fuzzy msgstr (every plural form) whose
placeholders match the msgid's.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "babel.cfg"
LOCALE_DIR = ROOT / "app" / "locale"
POT = LOCALE_DIR / "messages.pot"
SOURCE_DIRS = ("app", "frontend")
# `_` is `app.core.i18n.gettext` imported under that name; `N_` marks a string translated later.
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
COMMENT_TAGS = ("Translators:",)
PROJECT = "Undersigned"
# A fixed date keeps the files stable: `extract` rewrites them only when messages change.
EPOCH = datetime(2025, 1, 1)


def _wanted(path: str) -> bool:
    """Walk only the source trees (not .venv, node_modules or data)."""
    relative = Path(path).relative_to(ROOT) if Path(path).is_absolute() else Path(path)
    return bool(relative.parts) and relative.parts[0] in SOURCE_DIRS


def extract() -> Catalog:
    """Every translatable message in the sources, as a template catalog."""
    with MAPPING.open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename=str(MAPPING))
    catalog = Catalog(
        project=PROJECT, charset="utf-8", fuzzy=False, creation_date=EPOCH, revision_date=EPOCH
    )
    found = extract_from_dir(
        ROOT,
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
        directory_filter=_wanted,
    )
    for filename, lineno, message, comments, context in found:
        path = Path(filename).as_posix()
        catalog.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    return catalog


def catalog_paths() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=False, ignore_obsolete=True)


def write_template(template: Catalog) -> None:
    write(template, POT)


def update_catalogs(template: Catalog) -> list[Path]:
    """Bring every catalog in line with the template: new messages are added (a near match
    is offered as a fuzzy guess, which `check` does not accept), gone ones are dropped."""
    paths = catalog_paths()
    for path in paths:
        locale = path.parent.parent.name
        catalog = read(path, locale)
        catalog.update(template, update_header_comment=False)
        catalog.revision_date = EPOCH
        write(catalog, path)
    return paths


def init_catalog(template: Catalog, locale: str) -> Path:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if path.exists():
        raise SystemExit(f"{path.relative_to(ROOT)} exists already: use `update`")
    Locale.parse(locale)  # refuse a name Babel does not know
    catalog = Catalog(
        locale=locale, project=PROJECT, charset="utf-8", fuzzy=False, creation_date=EPOCH
    )
    catalog.update(template)
    catalog.revision_date = EPOCH
    write(catalog, path)
    return path


def _message_id(message: Message) -> str:
    msgid = message.id
    text = msgid[0] if isinstance(msgid, (tuple, list)) else msgid
    return f"{message.context}\x04{text}" if message.context else text


def untranslated(template: Catalog, catalog: Catalog) -> list[str]:
    """The template's messages that `catalog` does not translate (usably)."""
    missing: list[str] = []
    for message in template:
        if not message.id:
            continue  # the header
        found = catalog.get(message.id, message.context)
        if found is None or found.fuzzy or not _translated(found.string):
            missing.append(_message_id(message))
    return missing


def _translated(string: object) -> bool:
    if isinstance(string, (tuple, list)):
        return bool(string) and all(isinstance(s, str) and s.strip() for s in string)
    return isinstance(string, str) and bool(string.strip())


def format_errors(catalog: Catalog) -> list[str]:
    """Placeholders that differ between a msgid and its translation (Babel's checkers)."""
    errors: list[str] = []
    for message, problems in catalog.check():
        for problem in problems:
            errors.append(f"{_message_id(message)!r}: {problem}")
    return errors


def check(template: Catalog | None = None) -> dict[str, list[str]]:
    """Problems per catalog, empty when every catalog is complete and consistent."""
    template = template if template is not None else extract()
    problems: dict[str, list[str]] = {}
    for path in catalog_paths():
        locale = path.parent.parent.name
        catalog = read(path, locale)
        found = [f"untranslated: {m!r}" for m in untranslated(template, catalog)]
        found += format_errors(catalog)
        if found:
            problems[locale] = found
    return problems


def _print_problems(problems: dict[str, list[str]]) -> None:
    for locale, found in problems.items():
        print(f"{locale}: {len(found)} problem(s)")
        for line in found:
            print(f"  {line}")


def main(argv: Iterable[str]) -> int:
    args = list(argv)
    command = args[0] if args else ""
    if command == "extract":
        template = extract()
        write_template(template)
        print(f"{POT.relative_to(ROOT)}: {len(template)} messages")
    elif command == "update":
        template = read(POT) if POT.exists() else extract()
        for path in update_catalogs(template):
            print(f"updated {path.relative_to(ROOT)}")
    elif command == "init" and len(args) == 2:
        path = init_catalog(read(POT) if POT.exists() else extract(), args[1])
        print(f"created {path.relative_to(ROOT)}")
    elif command == "check":
        problems = check()
        if problems:
            _print_problems(problems)
            return 1
        print(
            f"every catalog is complete: {', '.join(p.parent.parent.name for p in catalog_paths())}"
        )
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
