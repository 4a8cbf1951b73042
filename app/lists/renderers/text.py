"""The signatory list as words: a sentence for a speech, plain text for an email, Markdown.

Also the cleaning every format shares. The model is already public, but names are typed by
strangers: whatever reaches a renderer must come out inert (no markup, no formula, no
control characters that break XML or reorder a line) and still be the name people typed.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from babel import Locale, UnknownLocaleError
from babel.lists import format_list

from app.core import i18n
from app.core.i18n import gettext as _
from app.core.i18n import ngettext
from app.lists.data import VERIFIED_MARK, Entry, Section, SignatoryList

P = ParamSpec("P")
R = TypeVar("R")

# Illegal in XML 1.0 (C0 controls other than TAB/LF/CR, lone surrogates, U+FFFE/U+FFFF),
# plus C1 controls and the bidi embeddings/overrides/isolates that can reorder what follows
# them on a line ("evil\u202egnp.exe"). Everything matched here is non-printable, which lets
# callers skip the regex for ordinary text (`str.isprintable`).
_DROP = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
_NEWLINES = re.compile("\r\n?")
_WHITESPACE = re.compile(r"\s+")
# Characters that can start inline Markdown (or HTML, entities, the superscript plugin).
_MD_INLINE = re.compile(r"([\\`*_\[\]<>&~^|!{}])")
# What would turn the start of a line into a heading, quote, list item or thematic break.
# (A digit cannot be escaped in CommonMark, so "1. x" becomes "1\. x".)
_MD_LINE_START = re.compile(r"^[#>+=-]")
_MD_ORDERED = re.compile(r"^(\d+)([.)])")


def clean_text(value: str) -> str:
    """The text without characters no format can carry; line breaks become LF."""
    if value.isprintable():
        return value
    return _DROP.sub("", _NEWLINES.sub("\n", value))


def one_line(value: str) -> str:
    """`clean_text`, then every run of whitespace (tabs, line breaks) as one space."""
    return _WHITESPACE.sub(" ", clean_text(value)).strip()


def list_locale(model: SignatoryList) -> Locale:
    """The Babel locale of the list's language (English when it is not a known locale)."""
    try:
        return Locale.parse(model.language.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return Locale.parse(i18n.DEFAULT_LOCALE)


def in_language(language: str, render: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run `render` with `_()` in `language`: a document speaks its list's language, whatever
    the language of the page that asked for it. The request's own locale is untouched."""

    def run() -> R:
        i18n.set_locale(language.replace("_", "-").split("-")[0].lower())
        return render(*args, **kwargs)

    return contextvars.copy_context().run(run)


def escape_markdown(value: str) -> str:
    """Literal text in Markdown: `*x*` stays `*x*`, `1. x` is not a list."""
    escaped = _MD_INLINE.sub(r"\\\1", one_line(value))
    escaped = _MD_LINE_START.sub(r"\\\g<0>", escaped, count=1)
    return _MD_ORDERED.sub(r"\1\\\2", escaped, count=1)


def _line(entry: Entry, escape: Callable[[str], str]) -> str:
    detail = entry.acronym or entry.note
    name = escape(entry.name)
    mark = f" {VERIFIED_MARK}" if entry.verified else ""
    return (f"{name} ({escape(detail)})" if detail.strip() else name) + mark


# --- Formats -----------------------------------------------------------------------------


def inline_prose(model: SignatoryList) -> str:
    """One sentence naming every signatory: "… signed by 6 organisations and 2 individuals from
    1 country, including A, B and C." Anonymous signatories are counted, never named."""
    return in_language(model.language, _inline_prose, model)


def _inline_prose(model: SignatoryList) -> str:
    names = [one_line(entry.name) for entry in model.entries if not entry.anonymous]
    names = [name for name in names if name]
    hidden = sum(1 for entry in model.entries if entry.anonymous)
    if hidden:
        names.append(
            ngettext(
                "%(n)d signatory who asked not to be named",
                "%(n)d signatories who asked not to be named",
                hidden,
            )
            % {"n": hidden}
        )
    summary = one_line(model.summary)
    if not names:
        if model.counts.total == 0:
            return _("No one has signed this statement yet.")
        return _("This statement is signed by %(summary)s.") % {"summary": summary}
    return _("This statement is signed by %(summary)s, including %(names)s.") % {
        "summary": summary,
        "names": format_list(names, locale=list_locale(model)),
    }


def tier_heading(section: Section) -> str:
    """A group's heading with its counts: "Partners (36 organisations from 20 countries)";
    "" for the one unnamed group of a list without groups."""
    tier = section.tier
    if not tier.heading.strip():
        return ""
    return f"{one_line(tier.heading)} ({one_line(tier.summary)})"


def rounded(count: int, step: int) -> str:
    """A count rounded down to `step` for a speech: 312 → "over 300" ("300여" in Korean);
    exact when the step is 1, the count is a multiple of it, or smaller than it."""
    if step <= 1 or count < step or count % step == 0:
        return str(count)
    return _("over %(n)d") % {"n": count // step * step}


def speech_prose(model: SignatoryList) -> str:
    """The sentence a speaker reads: "on behalf of 36 civil society partners representing
    over 300 organisations in 116 countries, including A, B, …, and Z." — the lead's
    template, or this one, in the list's language. The named group is the one the lead
    chose; the organisations and countries are the whole list's (organisations rounded
    down to the lead's step). Anonymous signatories are counted, never named."""
    return in_language(model.language, _speech_prose, model)


def _speech_prose(model: SignatoryList) -> str:
    sections = model.sections
    named = next((s for s in sections if s.tier.in_prose), sections[0] if sections else None)
    entries = named.entries if named else ()
    partners = named.tier.counts.total if named else 0
    names = [one_line(entry.name) for entry in entries if not entry.anonymous]
    names = [name for name in names if name]
    hidden = sum(1 for entry in entries if entry.anonymous)
    if hidden:
        names.append(
            ngettext(
                "%(n)d signatory who asked not to be named",
                "%(n)d signatories who asked not to be named",
                hidden,
            )
            % {"n": hidden}
        )
    template = model.prose_template or _(
        "on behalf of {partners} civil society partners representing {organisations} "
        "organisations in {countries} countries, including {names}."
    )
    values = {
        "{partners}": str(partners),
        "{organisations}": rounded(model.counts.organisations, model.prose_step),
        "{countries}": str(model.counts.countries),
        "{names}": format_list(names, locale=list_locale(model)) if names else "",
    }
    sentence = template
    for placeholder, value in values.items():
        sentence = sentence.replace(placeholder, value)
    return one_line(sentence)


def plain_text(model: SignatoryList) -> str:
    """Title, then the signatory block as statements print it: the coordinators, the
    heading, then each group under its own heading, one entry a line, a blank line between
    groups (a group's heading, if any, on the line before it)."""
    blocks = [one_line(model.title)]
    coordinators = [one_line(c) for c in model.coordinators if c.strip()]
    if coordinators:
        blocks.append(
            "\n".join([one_line(model.coordinators_heading or _("Coordinated by")), *coordinators])
        )
    blocks.append(one_line(model.heading))
    for section in model.sections:
        if heading := tier_heading(section):
            blocks.append(heading)
        for group in section.groups:
            if group.entries:
                lines = [one_line(group.heading)] if group.heading.strip() else []
                lines += [_line(entry, one_line) for entry in group.entries]
                blocks.append("\n".join(lines))
    return "\n\n".join(block for block in blocks if block) + "\n"


def markdown(model: SignatoryList) -> str:
    """The same as `plain_text`, in Markdown: headings, and each group as a bullet list."""
    blocks = [f"# {escape_markdown(model.title)}"]
    coordinators = [c for c in model.coordinators if c.strip()]
    if coordinators:
        blocks.append(f"## {escape_markdown(model.coordinators_heading or _('Coordinated by'))}")
        blocks.append("\n".join(f"- {escape_markdown(c)}" for c in coordinators))
    blocks.append(f"## {escape_markdown(model.heading)}")
    index = 1 if coordinators else 0
    for section in model.sections:
        tiered = bool(tier_heading(section))
        if tiered:
            blocks.append(f"### {escape_markdown(tier_heading(section))}")
        for group in section.groups:
            if not group.entries:
                continue
            if group.heading.strip():
                level = "####" if tiered else "###"
                blocks.append(f"{level} {escape_markdown(group.heading)}")
            # Alternate markers: two "-" lists a blank line apart would merge into one list.
            marker = "*" if index % 2 else "-"
            index += 1
            blocks.append("\n".join(f"{marker} {_line(e, escape_markdown)}" for e in group.entries))
    return "\n\n".join(block for block in blocks if block.strip("# ")) + "\n"
