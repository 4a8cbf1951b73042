"""The PDF: the statement as approved and its signatories in real glyphs, read back with
poppler; nothing a signer types changes the document; the same bytes every time; and a
signature that both pdfsig and pyHanko accept, and reject once a byte changes."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import SecretStr

from app.core.config import Settings
from app.lists.data import Counts, Entry, Group, SignatoryList
from app.lists.final import signing as pdf_signing
from app.lists.renderers import pdf, pdf_markdown
from tests.lists import samples

SCRIPTS = (  # (kind, name): one per script the issue names, and an emoji
    ("individual", "김정삼"),
    ("individual", "横田めぐみ"),
    ("individual", "刘晓波"),
    ("organisation", "منظمة حقوق الإنسان"),
    ("organisation", "Peace Doves 🕊"),
)
INJECTIONS = (
    "#set page(fill: red)",
    "*bold*",
    "$x$",
    "<script>",
    "]",
    '#import "/etc/passwd"',
    '#read("/etc/passwd")',
    "@missing-label",
    "<label>",
    "= Heading",
    "`raw` \\ } {",
    "/* comment",
)


def _entries(kind: str, names: list[str] | tuple[str, ...]) -> tuple[Entry, ...]:
    return tuple(Entry(kind=kind, name=name) for name in names)


def _hrc58_with_scripts() -> SignatoryList:
    individuals = samples.HRC58_INDIVIDUALS + tuple(
        Entry(kind=kind, name=name) for kind, name in SCRIPTS if kind == "individual"
    )
    organisations = samples.HRC58_ORGANISATIONS + tuple(
        Entry(kind=kind, name=name) for kind, name in SCRIPTS if kind == "organisation"
    )
    return samples.hrc58_list(
        groups=(
            Group(kind="individual", heading="Individuals", entries=individuals),
            Group(kind="organisation", heading="Organisations", entries=organisations),
        ),
        counts=Counts(organisations=len(organisations), individuals=len(individuals), countries=1),
    )


def _organisations(n: int, **changes: object) -> SignatoryList:
    names = [f"Organisation {i:04d}" for i in range(n)]
    group = Group(kind="organisation", heading="Organisations", entries=_entries("org", names))
    return samples.hrc58_list(groups=(group,), **changes)


def _poppler(
    tool: str, data: bytes, tmp_path: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    to_stdout = ["-"] if tool == "pdftotext" else []
    command = [tool, *args, str(path), *to_stdout]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def _text(data: bytes, tmp_path: Path, mode: str = "-layout") -> str:
    """pdftotext's text, with runs of whitespace as one space and the bidi marks it adds
    around right-to-left text removed. `-layout` keeps Arabic in reading order; `-raw`
    (typesetting order) keeps a colour emoji on its line, where `-layout` misplaces it
    because its bitmap glyph box is taller than the line."""
    out = _poppler("pdftotext", data, tmp_path, mode, "-enc", "UTF-8").stdout
    return re.sub(r"\s+", " ", re.sub("[\u200e\u200f\u202a-\u202e]", "", out))


def _without_emoji(line: str) -> str:
    return re.sub(r"\s*[\U0001F000-\U0001FAFF\u2600-\u27BF]\ufe0f?", "", line)


def _in_order(text: str, parts: list[str]) -> None:
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= 0, f"{part!r} missing after position {position}"
        position = found + len(part)


@pytest.fixture(scope="module")
def hrc58_pdf() -> bytes:
    return pdf.render_pdf(_hrc58_with_scripts())


# --- Content, fonts, layout ------------------------------------------------------------------


def test_every_name_in_order_individuals_first(hrc58_pdf: bytes, tmp_path: Path) -> None:
    model = _hrc58_with_scripts()
    text = _text(hrc58_pdf, tmp_path)
    _in_order(
        text,
        [
            samples.HRC58_TITLE,
            "We call upon South Korea",
            samples.HRC58_HEADING,
            "Individuals",
            *[_without_emoji(entry.line) for entry in model.groups[0].entries],
            "Organisations",
            *[_without_emoji(entry.line) for entry in model.groups[1].entries],
        ],
    )
    assert "Peace Doves 🕊" in _text(hrc58_pdf, tmp_path, "-raw")
    assert "김정삼" in text  # the Hangul exactly, as typed
    assert "To: Member States of the UN Human Rights Council" in text


def test_footnote_and_page_numbers(hrc58_pdf: bytes, tmp_path: Path) -> None:
    text = _text(hrc58_pdf, tmp_path)
    assert "Human Rights Council Extranet, 58th session" in text
    assert re.search(r"\b1 / \d+\b", text)
    assert "[^1]" not in text


def test_fonts_are_embedded_with_cjk_and_arabic_faces(hrc58_pdf: bytes, tmp_path: Path) -> None:
    rows = _poppler("pdffonts", hrc58_pdf, tmp_path).stdout.splitlines()[2:]
    assert rows
    for row in rows:
        match = re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row)
        assert match is not None and match[1] == "yes", row
    names = " ".join(rows)
    assert "CJK" in names
    assert "Arabic" in names
    assert "Bold" in names and "Italic" in names  # the statement's ** and * are real faces


def test_emoji_in_colour_when_the_emoji_font_is_installed(tmp_path: Path) -> None:
    if pdf.EMOJI not in pdf._fonts().families():
        pytest.skip("Debian fonts-noto-color-emoji is not installed")
    group = Group(kind="all", heading="", entries=_entries("organisation", ["A 😀"]))
    data = pdf.render_pdf(samples.hrc58_list(groups=(group,)))
    assert "Type 3" in _poppler("pdffonts", data, tmp_path).stdout  # bitmaps, in colour
    assert "A 😀" in _text(data, tmp_path, "-raw")


def test_a_long_list_is_set_in_two_columns(tmp_path: Path) -> None:
    text = _poppler("pdftotext", pdf.render_pdf(_organisations(200)), tmp_path, "-layout").stdout
    assert re.search(r"Organisation \d{4} {2,}Organisation \d{4}", text)


def test_a_short_list_stays_in_one_column(hrc58_pdf: bytes, tmp_path: Path) -> None:
    text = _poppler("pdftotext", hrc58_pdf, tmp_path, "-layout").stdout
    assert not re.search(r"Mulmangcho {2,}\S", text)


def test_two_thousand_names(tmp_path: Path) -> None:
    data = pdf.render_pdf(_organisations(2000))
    info = _poppler("pdfinfo", data, tmp_path).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])  # type: ignore[index]
    assert pages > 10
    text = _text(data, tmp_path)
    _in_order(text, ["Organisation 0000", "Organisation 1000", "Organisation 1999"])
    assert f"{pages} / {pages}" in text


def test_paper_sizes(tmp_path: Path) -> None:
    model = samples.hrc58_list()
    a4 = _poppler("pdfinfo", pdf.render_pdf(model), tmp_path).stdout
    letter = _poppler("pdfinfo", pdf.render_pdf(model, paper="us-letter"), tmp_path).stdout
    assert "595.276 x 841.89 pts (A4)" in a4
    assert "612 x 792 pts (letter)" in letter
    with pytest.raises(ValueError):
        pdf.render_pdf(model, paper="a3")  # type: ignore[arg-type]


def test_same_model_same_bytes_with_the_list_date(tmp_path: Path) -> None:
    model = _hrc58_with_scripts()
    first, second = pdf.render_pdf(model), pdf.render_pdf(model)
    assert first == second
    info = _poppler("pdfinfo", first, tmp_path).stdout
    assert re.search(r"CreationDate:.*Mar 14 .*2025", info)
    assert re.search(r"Title:\s+Joint statement calling", info)
    assert re.search(r"Tagged:\s+yes", info)  # structure for screen readers


def test_korean_statement_and_unknown_language(tmp_path: Path) -> None:
    text = _text(pdf.render_pdf(samples.korean_list()), tmp_path)
    _in_order(text, ["유엔 인권이사회", "서명 단체 및 개인", "북한인권시민연합 (NKHR)", "김정삼"])
    odd = replace(samples.hrc58_list(), language="not a language!")
    assert "Kim Jeong-sam" in _text(pdf.render_pdf(odd), tmp_path)


# --- Nothing typed is markup -----------------------------------------------------------------


def test_names_and_statement_text_are_printed_literally(tmp_path: Path) -> None:
    names = [*INJECTIONS, "evil\u202egnp.exe", "Con\x00trol\x07 chars\ud800"]
    body = 'Typst in text: #set page(fill: red) $x$ @ref #read("/etc/passwd") `#raw`\n'
    model = samples.hrc58_list(
        title="#set text(size: 40pt) Title",
        body_markdown=body,
        groups=(Group(kind="all", heading="#heading", entries=_entries("x", names)),),
    )
    data = pdf.render_pdf(model)
    text = _text(data, tmp_path)
    for expected in [*INJECTIONS, "evilgnp.exe", "Control chars", "#set text(size: 40pt) Title"]:
        assert expected in text
    assert 'Typst in text: #set page(fill: red) $x$ @ref #read("/etc/passwd") #raw' in text
    assert "root:" not in text
    assert "Pages: 1\n" in _poppler("pdfinfo", data, tmp_path).stdout.replace("  ", "")
    # The page is still white: `#set page(fill: red)` did nothing.
    raw = subprocess.run(
        ["pdftoppm", "-r", "10", "-f", "1", "-l", "1", str(tmp_path / "document.pdf")],
        capture_output=True,
        timeout=60,
    ).stdout
    assert raw.startswith(b"P6")
    assert raw[-3:] == b"\xff\xff\xff"  # the bottom-right corner


def test_markdown_keeps_the_web_policy_and_passes_only_data() -> None:
    source = (
        "a <b>bold?</b> 79<sup>th</sup> <img src=x onerror=alert(1)> "
        "[bad](javascript:alert(1)) [good](https://example.org) [page](/s/x) x<sup>open\n\n"
        "Note[^n] again[^n].\n\n[^n]: Said *here*, see [^n]."
    )
    body, notes = pdf_markdown.markdown_tree(source)
    dumped = json.dumps([body, notes])
    assert "javascript" not in dumped and "onerror" not in dumped and "<b>" not in dumped
    first = body[0]
    assert isinstance(first, dict)
    assert {"t": "sup", "c": ["th"]} in first["c"]
    assert {"t": "a", "u": "https://example.org", "c": ["good"]} in first["c"]
    assert "  bad " in first["c"]  # the unsafe link is gone, its words stay
    assert {"t": "g", "c": ["page"]} in first["c"]  # a relative link means nothing on paper
    second = body[1]
    assert isinstance(second, dict)
    refs = [node for node in second["c"] if isinstance(node, dict) and node["t"] == "fn"]
    assert refs == [{"t": "fn", "n": 0, "first": True}, {"t": "fn", "n": 0, "first": False}]
    # A note citing itself shows its number instead of nesting forever.
    assert notes == [[{"t": "p", "c": ["Said ", {"t": "i", "c": ["here"]}, ", see [1]."]}]]


def test_every_markdown_construct_renders(tmp_path: Path) -> None:
    body = (
        "# One\n\n###### Six\n\n3. three\n4. four\n   - nested\n\n> quoted\n\n---\n\n"
        "```\ncode block\n```\n\n| L | R |\n|:--|--:|\n| left | right |\n\n"
        "~~gone~~ `inline` hard  \nbreak ^sup^ ![picture](https://example.org/p.png)\n"
    )
    text = _text(pdf.render_pdf(samples.hrc58_list(body_markdown=body)), tmp_path)
    _in_order(text, ["One", "Six", "3.", "three", "nested", "quoted", "code block", "left"])
    assert "picture" in text


def test_typst_can_read_no_local_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # Even a template that tried would find only an empty folder.
    for attempt in ('#read("/etc/hostname")', '#read("../../../../etc/hostname")'):
        monkeypatch.setattr(pdf, "_template", lambda attempt=attempt: attempt.encode())
        with pytest.raises(pdf.PdfRenderError, match=r"file not found|escape the project root"):
            pdf.render_pdf(samples.hrc58_list())


def test_missing_fonts_name_the_debian_packages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pdf, "FONT_DIRS", (tmp_path / "nowhere",))
    with pytest.raises(pdf.PdfRenderError, match="fonts-noto-core fonts-noto-cjk"):
        pdf.font_paths()


# --- Signing ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(app_env="test", data_dir=tmp_path_factory.mktemp("signing"))


@pytest.fixture(scope="module")
def signed(settings: Settings, hrc58_pdf: bytes) -> bytes:
    return pdf_signing.sign_pdf(hrc58_pdf, settings=settings, reason="Final text")


def _flip_inside_signed_range(data: bytes) -> bytes:
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)", data)
    assert match is not None
    position = int(match[1]) + int(match[2]) // 2
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def test_pdfsig_accepts_the_signature(signed: bytes, tmp_path: Path) -> None:
    result = _poppler("pdfsig", signed, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Signature is Valid" in result.stdout
    assert pdf_signing.DEV_COMMON_NAME in result.stdout
    assert "Total document signed" in result.stdout


def test_pyhanko_finds_it_intact_valid_and_trusted(signed: bytes, settings: Settings) -> None:
    report = pdf_signing.validate_pdf_signature(signed, settings=settings)
    assert report.ok and report.intact and report.valid and report.trusted, report
    assert report.signer == pdf_signing.DEV_COMMON_NAME
    assert report.signed_at is not None
    assert report.problem == ""


def test_one_flipped_byte_breaks_the_signature(
    signed: bytes, settings: Settings, tmp_path: Path
) -> None:
    tampered = _flip_inside_signed_range(signed)
    assert "Signature is Valid" not in _poppler("pdfsig", tampered, tmp_path).stdout
    report = pdf_signing.validate_pdf_signature(tampered, settings=settings)
    assert not report.ok and not report.intact


def test_bytes_added_after_signing_are_noticed(signed: bytes, settings: Settings) -> None:
    report = pdf_signing.validate_pdf_signature(signed + b"\n%%EOF\n", settings=settings)
    assert not report.ok and not report.whole_file


def test_unsigned_and_unreadable_files(hrc58_pdf: bytes, settings: Settings) -> None:
    assert pdf_signing.validate_pdf_signature(hrc58_pdf, settings=settings).problem
    assert not pdf_signing.validate_pdf_signature(b"not a pdf", settings=settings).ok


def test_the_development_certificate_is_kept_and_reused(
    signed: bytes, settings: Settings, hrc58_pdf: bytes
) -> None:
    p12 = settings.data_dir / pdf_signing.DEV_P12_FILE
    passphrase = settings.data_dir / pdf_signing.DEV_PASSPHRASE_FILE
    before = p12.read_bytes()
    assert p12.stat().st_mode & 0o777 == 0o600
    assert passphrase.stat().st_mode & 0o777 == 0o600
    again = pdf_signing.sign_pdf(hrc58_pdf, settings=settings, reason="Again")
    assert p12.read_bytes() == before
    assert pdf_signing.validate_pdf_signature(again, settings=settings).ok


def test_another_machines_certificate_is_not_trusted(
    signed: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = Settings(app_env="test", data_dir=tmp_path_factory.mktemp("elsewhere"))
    report = pdf_signing.validate_pdf_signature(signed, settings=elsewhere)
    assert report.intact and report.valid and not report.trusted and not report.ok


def test_a_configured_certificate_is_used(
    settings: Settings, hrc58_pdf: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "coalition.p12"
    path.write_bytes(pdf_signing._make_development_p12(b"coalition-passphrase"))
    configured = settings.model_copy(
        update={
            "data_dir": tmp_path / "data",
            "signing_p12_path": path,
            "signing_p12_passphrase": SecretStr("coalition-passphrase"),
        }
    )
    data = pdf_signing.sign_pdf(hrc58_pdf, settings=configured, reason="Final")
    assert pdf_signing.validate_pdf_signature(data, settings=configured).ok
    assert not pdf_signing.validate_pdf_signature(data, settings=settings).trusted
    assert not (tmp_path / "data").exists()  # no development certificate was made


def test_production_refuses_to_sign_without_a_certificate(hrc58_pdf: bytes, tmp_path: Path) -> None:
    production = Settings(
        app_env="production",
        data_dir=tmp_path,
        secret_key=SecretStr("k" * 48),
        base_url="https://undersigned.example.org",
        smtp_host="smtp.example.org",
    )
    with pytest.raises(pdf_signing.SigningConfigError, match="SIGNING_P12_PATH"):
        pdf_signing.sign_pdf(hrc58_pdf, settings=production, reason="Final")
    assert not (tmp_path / pdf_signing.DEV_P12_FILE).exists()
