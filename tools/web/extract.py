"""Readable text from an HTML page with the standard library's tolerant `html.parser`.

Kept: the title, headings (as `#` lines), paragraphs, list items, table rows, preformatted text. Dropped:
scripts, styles, embedded objects, forms, navigation, headers and footers outside the article, asides,
elements marked hidden (`hidden`, `aria-hidden`, `display:none`) — hidden text is a favourite carrier of
injected instructions — and elements whose role, class or id names boilerplate (nav, menu, cookie, ...).
When the page marks its content with <main>/<article> and that holds a fair share of the text, only that
part is kept. No third-party parser: this is enough for readable text and has no install cost.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from pydantic import BaseModel

SKIPPED_TAGS = frozenset({
    "script", "style", "noscript", "template", "svg", "math", "canvas", "iframe", "object", "embed", "head",
    "nav", "footer", "aside", "form", "button", "select", "textarea", "dialog", "menu",
})
BOILERPLATE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"})
BOILERPLATE_NAMES = frozenset({
    "nav", "navbar", "navigation", "menu", "footer", "sidebar", "breadcrumb", "breadcrumbs", "cookie", "cookies",
    "advert", "advertisement", "ads", "share", "social", "skip", "masthead",
})
CONTENT_TAGS = frozenset({"main", "article"})
VOID_TAGS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
})
BLOCK_TAGS = frozenset({
    "address", "article", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt", "fieldset",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol", "p", "pre",
    "section", "summary", "table", "tr", "ul",
})
HEAD_TAGS = frozenset({"base", "link", "meta", "noscript", "script", "style", "template", "title"})
HEADINGS = {f"h{level}": level for level in range(1, 7)}
MAIN_SHARE = 0.25
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_NAME_TOKENS = re.compile(r"[a-z]+")


class ReadableText(BaseModel):
    title: str
    text: str


class _Element:
    __slots__ = ("tag", "skip", "content")

    def __init__(self, tag: str, skip: bool, content: bool) -> None:
        self.tag, self.skip, self.content = tag, skip, content


class _ReadableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[_Element] = []
        self.skipping = 0
        self.in_content = 0
        self.in_pre = 0
        self.title_parts: list[str] | None = None
        self.title = ""
        self.first_h1 = ""
        self.line: list[str] = []
        self.prefix = ""
        self.blocks: list[tuple[str, bool]] = []

    def _is_boilerplate(self, tag: str, attrs: dict[str, str | None]) -> bool:
        if tag in SKIPPED_TAGS or (tag == "header" and not self.in_content):
            return True
        if "hidden" in attrs or (attrs.get("aria-hidden") or "").lower() == "true":
            return True
        if _HIDDEN_STYLE.search(attrs.get("style") or ""):
            return True
        if (attrs.get("role") or "").lower() in BOILERPLATE_ROLES:
            return True
        names = f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()
        return not self.in_content and bool(BOILERPLATE_NAMES.intersection(_NAME_TOKENS.findall(names)))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HEAD_TAGS and any(element.tag == "head" for element in self.stack):
            self.handle_endtag("head")  # body content implies </head>, as in browsers
        if tag == "title" and self.title_parts is None and not self.title:
            self.title_parts = []
            return
        if tag in BLOCK_TAGS:
            self._flush()
        if tag in VOID_TAGS:
            return
        attributes = dict(attrs)
        skip = self._is_boilerplate(tag, attributes)
        content = tag in CONTENT_TAGS or (attributes.get("role") or "").lower() == "main"
        self.stack.append(_Element(tag, skip, content))
        self.skipping += skip
        self.in_content += content
        self.in_pre += tag == "pre"
        if tag in HEADINGS:
            self.prefix = "#" * HEADINGS[tag] + " "
        elif tag == "li":
            self.prefix = "- "
        elif tag in ("td", "th") and self.line:
            self.line.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.title_parts is not None:
            self.title = " ".join("".join(self.title_parts).split())
            self.title_parts = None
            return
        if not any(element.tag == tag for element in self.stack):
            return  # a stray end tag: ignore it, as browsers do
        if tag in BLOCK_TAGS:
            self._flush()
        while self.stack:
            element = self.stack.pop()
            self.skipping -= element.skip
            self.in_content -= element.content
            self.in_pre -= element.tag == "pre"
            if element.tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.title_parts is not None:
            self.title_parts.append(data)
        elif not self.skipping:
            self.line.append(data)

    def _flush(self) -> None:
        raw = "".join(self.line)
        self.line = []
        prefix, self.prefix = self.prefix, ""
        if self.skipping:
            return
        text = raw.strip("\n") if self.in_pre else " ".join(raw.split())
        if not text.strip():
            return
        if prefix == "# " and not self.first_h1:
            self.first_h1 = text
        self.blocks.append((prefix + text, bool(self.in_content)))

    def close(self) -> None:
        super().close()
        self._flush()


def extract_readable(html: str) -> ReadableText:
    """The title and readable body text of `html`, blocks separated by blank lines."""
    parser = _ReadableParser()
    parser.feed(html)
    parser.close()
    all_text = [text for text, _ in parser.blocks]
    main_text = [text for text, in_main in parser.blocks if in_main]
    main_chars, all_chars = sum(map(len, main_text)), sum(map(len, all_text))
    kept = main_text if main_text and main_chars >= MAIN_SHARE * all_chars else all_text
    return ReadableText(title=parser.title or parser.first_h1, text="\n\n".join(kept))


def html_to_text(fragment: str) -> str:
    """Plain text of a small HTML fragment (a search snippet with <strong> marks and entities)."""
    return " ".join(extract_readable(f"<p>{fragment}</p>").text.split())
