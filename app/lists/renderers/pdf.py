"""The statement and its signatories as a PDF, typeset by Typst.

Nothing a person typed is ever turned into Typst markup. The statement's Markdown is parsed
(with the same safety policy as the web page) into a small JSON tree; names, notes and
headings go in as JSON strings. The template (templates/statement.typ) reads that JSON
from `sys.inputs` and places strings as text, so `#set page(...)`, `*bold*` or `$x$` in a
name are printed as typed and change nothing. Typst runs in a child process with an empty
temporary directory as its root, so the template could not read a local file even by
mistake, and it imports no package, so it reaches no network. Fonts come from Debian's
Noto packages only.

The output depends only on the model: the document date is fixed (the list's date), and
Typst writes no random identifiers, so a final snapshot renders to the same bytes each time.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

import typst

from app.core.i18n import gettext as _
from app.lists.data import VERIFIED_MARK, Entry, SignatoryList, TranslatedText
from app.lists.renderers import text
from app.lists.renderers.pdf_markdown import Node, markdown_tree

Paper = Literal["a4", "us-letter"]

FONT_DIRS: Final = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"))
FONT_PACKAGES: Final = "fonts-noto-core fonts-noto-cjk"
TEMPLATE: Final = Path(__file__).parent / "templates" / "statement.typ"
SERIF: Final = ("Noto Serif", "Noto Naskh Arabic")
SANS: Final = ("Noto Sans", "Noto Sans Arabic")
EMOJI: Final = "Noto Color Emoji"  # Debian fonts-noto-color-emoji, when installed
# A group longer than this is set in two columns.
COLUMN_THRESHOLD: Final = 30
# A line wider than this many Latin letters may wrap in a column (a CJK character counts
# two); those, and only those, get a hanging indent.
LONG_LINE: Final = 38
# Tagged PDF (structure for screen readers) up to this many names. Tags cost memory per
# name: at 20,000 long names they take the render past its 400 MB budget and make the file
# 3.5 times larger, and a list that long is read as text anyway.
TAGGED_MAX_ENTRIES: Final = 5000
# An untagged list sets runs of names that cannot wrap as one paragraph each, a name a line:
# at 50,000 names a block per name is a sixth of the render's memory and a quarter of its
# time. A name can join a run when it has at most this many characters, none wider than
# an em (the narrowest column, A4's, is 21.6 em).
SHORT_LINE: Final = 18
RTL_LANGUAGES: Final = frozenset({"ar", "ckb", "dv", "fa", "he", "ps", "sd", "ug", "ur", "yi"})

_CJK_ORDER: Final = {  # which CJK face wins for Han characters, by the text's language
    "ko": ("KR", "JP", "SC", "TC"),
    "ja": ("JP", "KR", "SC", "TC"),
    "zh": ("SC", "TC", "JP", "KR"),
    "zh-tw": ("TC", "SC", "JP", "KR"),
    "zh-hk": ("HK", "TC", "SC", "JP", "KR"),
}
_DEFAULT_CJK: Final = ("KR", "JP", "SC", "TC")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile(
    r"[\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_LANG = re.compile(r"([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?(?:[-_].*)?")


class PdfRenderError(RuntimeError):
    """The PDF could not be produced (missing fonts, or Typst failed)."""


def font_paths() -> list[Path]:
    """The installed Noto font folders Typst may use."""
    found = [path for path in FONT_DIRS if path.is_dir()]
    if not found:
        raise PdfRenderError(
            "No Noto fonts found in /usr/share/fonts: install the Debian packages "
            f"{FONT_PACKAGES} (apt-get install {FONT_PACKAGES})."
        )
    return found


@cache
def _fonts() -> typst.Fonts:
    """The installed fonts, to choose font lists from (the child process scans its own)."""
    return typst.Fonts(
        include_system_fonts=False,
        include_embedded_fonts=False,
        font_paths=[str(path) for path in font_paths()],
    )


@cache
def _template() -> bytes:
    return TEMPLATE.read_bytes()


def render_pdf(
    model: SignatoryList, *, paper: Paper = "a4", translations: Sequence[TranslatedText] = ()
) -> bytes:
    """The statement as approved, any chosen translations of it, and its signatory block,
    as PDF bytes."""
    if paper not in ("a4", "us-letter"):
        raise ValueError(f"unknown paper size: {paper!r}")
    tagged = len(model.entries) <= TAGGED_MAX_ENTRIES
    document = _document_data(model, paper, runs=not tagged)
    document["translations"] = [_translation(t) for t in translations]
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    del document
    stamp = model.generated_at or datetime.combine(model.as_of, time(), tzinfo=UTC)
    timestamp = int((stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp())
    return _typeset(data, timestamp=timestamp, tagged=tagged)


# Typst runs in a child process. Its memo caches outlive a compilation (about 150 MB for
# 20,000 names, kept for the next ten compilations), which a long-running server would
# carry; a child gives all of it back when it exits, and can be stopped if it runs away.
# The child imports only typst, and reads everything it needs from its standard input.
_CHILD: Final = """
import json, sys, typst
job = json.loads(sys.stdin.buffer.readline())
job["data"] = sys.stdin.buffer.read().decode()
fonts = typst.Fonts(
    include_system_fonts=False, include_embedded_fonts=False, font_paths=job["fonts"]
)
compiler = typst.Compiler(
    job["template"].encode(), root=job["root"], font_paths=fonts, ignore_system_fonts=True,
    package_path=job["root"], package_cache_path=job["root"],
)
try:
    pdf = compiler.compile(
        format="pdf", sys_inputs={"data": job["data"]}, timestamp=job["timestamp"],
        pdf_tags=job["tagged"],
    )
except typst.TypstError as error:
    sys.stderr.write(error.message)
    sys.exit(3)
sys.stdout.buffer.write(pdf)
"""
RENDER_TIMEOUT_SECONDS: Final = 120.0


def _typeset(data: bytes, *, timestamp: int, tagged: bool) -> bytes:
    """Typst's PDF of `data` (the template's JSON), from the child process. The child reads
    a line of settings, then the data as it is, so the data is not copied into the job's
    JSON and encoded again (at 50,000 names, a few MB each time)."""
    _give_back_freed_memory()
    with tempfile.TemporaryDirectory(prefix="undersigned-typst-") as empty_root:
        job = {
            "template": _template().decode(),
            "fonts": [str(path) for path in font_paths()],
            "root": empty_root,
            "timestamp": timestamp,
            "tagged": tagged,
        }
        try:
            done = subprocess.run(  # noqa: S603 (our own interpreter and code; data on stdin)
                [sys.executable, "-I", "-c", _CHILD],
                input=json.dumps(job).encode() + b"\n" + data,
                capture_output=True,
                env={"LC_ALL": "C.UTF-8"},  # none of the server's secrets, nothing to vary
                timeout=RENDER_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise PdfRenderError(
                f"Typst took longer than {RENDER_TIMEOUT_SECONDS:.0f} s and was stopped."
            ) from error
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF-"):
        problem = done.stderr.decode(errors="replace").strip()[-2000:]
        raise PdfRenderError(f"Typst could not render the PDF: {problem}")
    return done.stdout


def _give_back_freed_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's malloc_trim) before the
    child starts: building a long list frees tens of MB (query rows, decrypted values)
    that the process would otherwise keep while Typst needs memory of its own."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


# --- The data the template reads -----------------------------------------------------------


def _document_data(model: SignatoryList, paper: Paper, *, runs: bool) -> dict[str, Any]:
    lang, region = _language(model.language)
    families = set(_fonts().families())
    cjk = _CJK_ORDER.get(f"{lang}-{region}".lower(), _CJK_ORDER.get(lang, _DEFAULT_CJK))
    day: date = model.generated_at.date() if model.generated_at else model.as_of
    body, notes = markdown_tree(text.clean_text(model.body_markdown))
    serif = _available(families, SERIF, "Noto Serif CJK", cjk)
    faces = {  # the face order for a name written in kana or hangul
        script: _available(families, SERIF, "Noto Serif CJK", _CJK_ORDER[script])
        for script in ("ja", "ko")
    }
    # In a run, a Korean name without Han characters takes the document's faces when they
    # are the Korean order anyway (hangul has the same shapes in every CJK face); anything
    # else that needs its own faces is set on its own.
    same_faces = {script for script, order in faces.items() if order == serif}
    return {
        "title": text.one_line(model.title),
        "to_label": text.in_language(model.language, _, "To:"),
        "to": text.one_line(model.addressed_to),
        "lang": lang,
        "region": region,
        "rtl": lang in RTL_LANGUAGES,
        "paper": paper,
        "date": [day.year, day.month, day.day],
        "serif": serif,
        "sans": _available(families, SANS, "Noto Sans CJK", cjk),
        "mono": _available(families, [], "Noto Sans Mono CJK", cjk),
        "cjk": faces,
        "body": body,
        "notes": notes,
        "heading": text.one_line(model.heading),
        "summary": text.one_line(model.summary),
        "column_threshold": COLUMN_THRESHOLD,
        "runs": runs,
        "coordinators_heading": text.one_line(model.coordinators_heading or _("Coordinated by")),
        "coordinators": [text.one_line(c) for c in model.coordinators if c.strip()],
        "sections": [
            {
                "heading": text.one_line(section.tier.heading),
                "summary": text.one_line(section.tier.summary),
                "groups": [
                    {
                        "heading": text.one_line(group.heading),
                        "count": len(group.entries),
                        "entries": _entries(group.entries, runs=runs, same_faces=same_faces),
                    }
                    for group in section.groups
                ],
            }
            for section in model.sections
        ],
    }


def _translation(translated: TranslatedText) -> dict[str, Any]:
    """A translation as the template reads it: like the original's keys, plus its own
    language and the faces that suit it (Korean hanja in Korean shapes, and so on)."""
    lang, region = _language(translated.language)
    cjk = _CJK_ORDER.get(f"{lang}-{region}".lower(), _CJK_ORDER.get(lang, _DEFAULT_CJK))
    body, notes = markdown_tree(text.clean_text(translated.body_markdown))
    return {
        "heading": text.one_line(translated.heading),
        "note": text.one_line(translated.note),
        "title": text.one_line(translated.title),
        "to_label": text.one_line(translated.to_label),
        "to": text.one_line(translated.addressed_to),
        "lang": lang,
        "region": region,
        "serif": _available(set(_fonts().families()), SERIF, "Noto Serif CJK", cjk),
        "body": body,
        "notes": notes,
    }


def _language(code: str) -> tuple[str, str | None]:
    """A language Typst accepts ("en") and an optional region ("BR"), from "pt-BR"."""
    match = _LANG.fullmatch(code.strip())
    if match is None:
        return "en", None
    return match[1].lower(), match[2].upper() if match[2] else None


def _available(
    families: set[str], base: Sequence[str], cjk_family: str, order: Sequence[str]
) -> list[str]:
    # Emoji come last: the emoji font also draws digits and "#", which must stay text.
    wanted = [*base, *(f"{cjk_family} {region}" for region in order), EMOJI]
    return [family for family in wanted if family in families]


def _entries(entries: Sequence[Entry], *, runs: bool, same_faces: set[str]) -> list[Node]:
    """The group's lines for the template: each entry's (`_entry`), or, with `runs`, lines
    that cannot wrap and need no faces of their own joined with newlines into one string,
    which the template sets as one paragraph whose leading is the space between names."""
    if not runs:
        return [_entry(e) for e in entries]
    found: list[Node] = []
    run: list[str] = []
    for entry in entries:
        line = _entry(entry)
        if isinstance(line, str) and _fits_one_line(line):
            run.append(line)
        elif (
            isinstance(line, dict)
            and line.keys() == {"s", "script"}
            and (line["script"] in same_faces and not _HAN.search(line["s"]))
            and _fits_one_line(line["s"])
        ):
            run.append(line["s"])
        else:
            if run:
                found.append("\n".join(run))
                run = []
            # A line that may wrap keeps its own block, as in a tagged list.
            found.append(line if isinstance(line, dict) else {"s": line})
    if run:
        found.append("\n".join(run))
    return found


def _fits_one_line(line: str) -> bool:
    # Letters, marks, digits, punctuation and spaces: none is wider than an em, except the
    # two- and three-em dashes (U+2E3A, U+2E3B), the Arabic presentation-form ligatures
    # (U+FB50 to U+FEFF) and what lies past the BMP.
    return len(line) <= SHORT_LINE and all(
        (ord(ch) < 0xFB50 and not 0x2E00 <= ord(ch) < 0x2E80)
        and (unicodedata.category(ch)[0] in "LMNP" or ch == " ")
        for ch in line
    )


def _entry(entry: Entry) -> Node:
    """The entry's line, `Name (ACR)` or `Name (note)`, cleaned as in every format (no control
    characters, no bidi overrides that would make a name read as other words), and tagged
    with its script when its Han characters should take Japanese or Korean shapes. Most
    entries stay plain strings, which keeps 20,000 of them cheap."""
    name, detail = text.one_line(entry.name), text.one_line(entry.acronym or entry.note)
    line = f"{name} ({detail})" if detail else name
    if entry.verified:
        line += f" {VERIFIED_MARK}"
    tags: dict[str, Any] = {}
    if _KANA.search(line):
        tags["script"] = "ja"
    elif _HANGUL.search(line):
        tags["script"] = "ko"
    if _is_long(line):
        tags["long"] = True
    return {"s": line, **tags} if tags else line


def _is_long(line: str) -> bool:
    if len(line) > LONG_LINE or len(line) <= LONG_LINE // 2 or line.isascii():
        return len(line) > LONG_LINE
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) > LONG_LINE
