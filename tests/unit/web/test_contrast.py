"""WCAG 2.1 AA contrast (4.5:1 for the console's small text) of every badge and text colour:
the badge rules of console.css (parsed, so a new rule is checked too), the level colours the
console and its charts share, the notice status badges and the printed documents' badges."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from utilcredit.documents.model import _OTHER_LEVEL_COLOURS, LEVEL_BADGE_COLOURS
from utilcredit.web.notice_pages import STATUS_COLOURS
from utilcredit.web.rendering import LEVEL_COLOURS

CSS = Path(__file__).resolve().parents[3] / "src/utilcredit/web/static/console.css"
AA = 4.5
WHITE = "#ffffff"
LEVELS = ("green", "blue", "yellow", "red", "black")


def hex6(colour: str) -> str:
    """``#rgb`` or ``#rrggbb`` as ``rrggbb`` in lower case."""
    digits = colour.lstrip("#").lower()
    return "".join(c * 2 for c in digits) if len(digits) == 3 else digits


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of ``#rgb`` or ``#rrggbb``."""
    digits = hex6(colour)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_ratio_is_wcags() -> None:
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#777777", WHITE) == pytest.approx(4.48, abs=0.01)  # WebAIM's example
    assert contrast("#1a9641", WHITE) < AA  # the green the issue measured at 3.8:1


# ---- console.css ---------------------------------------------------------------------------

Rule = tuple[str, dict[str, str]]


def css_rules(text: str) -> list[Rule]:
    """(selector, declarations) of every innermost rule; @media blocks are looked into."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    rules: list[Rule] = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        declarations = {}
        for declaration in body.split(";"):
            name, _, value = declaration.partition(":")
            if value.strip():
                declarations[name.strip()] = value.strip()
        rules.append((" ".join(selector.split()), declarations))
    return rules


def variables(rules: list[Rule]) -> dict[str, str]:
    found = {}
    for selector, declarations in rules:
        if selector == ":root":
            found.update({k: v for k, v in declarations.items() if k.startswith("--")})
    return found


def resolve(value: str, names: dict[str, str]) -> str | None:
    """A declaration's hex colour (through ``var(--x)``), or None when it is not one."""
    used = re.fullmatch(r"var\((--[\w-]+)\)", value)
    if used:
        value = names[used.group(1)]
    match = re.search(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b", value)
    return match.group(0) if match else None


@pytest.fixture(scope="module")
def rules() -> list[Rule]:
    return css_rules(CSS.read_text(encoding="utf-8"))


def badge_pairs(rules: list[Rule]) -> dict[str, tuple[str, str]]:
    """selector → (background, text) of every rule that colours a badge or a level."""
    names = variables(rules)
    badge_text = next(
        resolve(d["color"], names) for s, d in rules if s == ".badge" and "color" in d
    )
    assert badge_text is not None
    pairs = {}
    for selector, declarations in rules:
        if not re.search(r"\.badge|\.level-", selector) or "background" not in declarations:
            continue
        background = resolve(declarations["background"], names)
        if background is None:  # "background:none" (the criteria document's sections)
            continue
        text = resolve(declarations.get("color", ""), names) or badge_text
        pairs[selector] = (background, text)
    return pairs


def test_every_badge_rule_of_the_stylesheet_reaches_aa(rules: list[Rule]) -> None:
    pairs = badge_pairs(rules)
    # Found them all: every level and the record register's status badges.
    assert {f".level-{level}" for level in LEVELS} <= set(pairs)
    assert sum(".badge.rs-" in selector for selector in pairs) >= 4
    low = {
        selector: round(contrast(bg, fg), 2)
        for selector, (bg, fg) in pairs.items()
        if contrast(bg, fg) < AA
    }
    assert not low, low


def test_text_colours_reach_aa_on_the_page_and_table_backgrounds(rules: list[Rule]) -> None:
    names = variables(rules)
    page, card, heading_row = names["--bg"], WHITE, "#f7f9fb"
    error = next(resolve(d["color"], names) for s, d in rules if s == ".error")
    assert error is not None
    for text in (names["--fg"], names["--muted"], names["--accent"], error):
        for background in (page, card, heading_row):
            assert contrast(text, background) >= AA, (text, background)


def test_the_level_colours_are_the_stylesheets_and_reach_aa(rules: list[Rule]) -> None:
    pairs = badge_pairs(rules)
    assert set(LEVEL_COLOURS) == set(LEVELS)
    for level, colour in LEVEL_COLOURS.items():
        background, text = pairs[f".level-{level}"]
        assert hex6(colour) == hex6(background), level  # the charts draw the badges' hues
        assert contrast(colour, text) >= AA, level


def test_notice_status_badges_reach_aa_in_white() -> None:
    assert STATUS_COLOURS
    low = {s: c for s, c in STATUS_COLOURS.items() if contrast(c, WHITE) < AA}
    assert not low, low


def test_the_printed_documents_badges_reach_aa_and_match_the_console() -> None:
    zh = {"绿色": "green", "蓝色": "blue", "黄色": "yellow", "红色": "red", "黑色": "black"}
    assert set(LEVEL_BADGE_COLOURS) == set(zh)
    for name, (background, text) in [*LEVEL_BADGE_COLOURS.items(), ("?", _OTHER_LEVEL_COLOURS)]:
        assert contrast(background, text) >= AA, name
        if name in zh:
            assert hex6(background) == hex6(LEVEL_COLOURS[zh[name]]), name
