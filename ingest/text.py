"""Text clean-up for register fields: HTML to readable plain text, whitespace, empty values."""

from __future__ import annotations

import html
import re

from bs4 import BeautifulSoup, NavigableString, Tag

_HTML_TAG = re.compile(r"</?(p|div|br|ul|ol|li|span|strong|b|em|i|u|a|h[1-6]|table|tr|td|th|blockquote)\b[^>]*>", re.I)
_BLOCK_TAGS = {"p", "div", "ul", "ol", "table", "tr", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}
_LIST_MARKER = re.compile(r"-|\d+\.")
_EMPTY_MARKERS = {"", "-", "--", "null", "none", "nan", "n/a"}


def looks_like_html(text: str) -> bool:
    return bool(_HTML_TAG.search(text))


def html_to_text(markup: str) -> str:
    """Convert register HTML to plain text: paragraphs become blank-line separated, list items
    become '- item' lines (numbered for <ol>), links keep their URL when it differs from the text."""
    soup = BeautifulSoup(markup, "html.parser")
    lines: list[str] = []
    current: list[str] = []
    indent = [""]  # indentation of the line being built (nested list items)

    def flush() -> None:
        line = re.sub(r"\s+", " ", "".join(current)).strip()
        if _LIST_MARKER.fullmatch(line):
            return  # a list item's marker, waiting for the item's text (e.g. <li><p>text</p></li>)
        if line:
            lines.append(indent[0] + line)
        current.clear()
        indent[0] = ""

    def paragraph_break() -> None:
        flush()
        if lines and lines[-1] != "":
            lines.append("")

    def walk(node: Tag, list_stack: list[list]) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                current.append(str(child).replace("\n", " "))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            if name in {"script", "style"}:
                continue
            if name == "br":
                flush()
            elif name in {"ul", "ol"}:
                nested = bool(list_stack)  # a list inside a list item: no blank lines around it
                flush() if nested else paragraph_break()
                list_stack.append([name, 0])
                walk(child, list_stack)
                list_stack.pop()
                flush() if nested else paragraph_break()
            elif name == "li":
                flush()
                current.clear()  # drop the marker of an empty item before
                indent[0] = "  " * max(len(list_stack) - 1, 0)
                if list_stack and list_stack[-1][0] == "ol":
                    list_stack[-1][1] += 1
                    current.append(f"{list_stack[-1][1]}. ")
                else:
                    current.append("- ")
                walk(child, list_stack)
                flush()
                current.clear()  # an empty item leaves no marker behind
            elif name == "a":
                text_before = len(current)
                walk(child, list_stack)
                href = (child.get("href") or "").strip()
                label = "".join(current[text_before:]).strip()
                if href.startswith("http") and href not in label:
                    current.append(f" ({href})")
            elif name in _BLOCK_TAGS:
                end_block = flush if list_stack else paragraph_break  # inside a list item: no blank lines
                end_block()
                walk(child, list_stack)
                end_block()
            else:
                walk(child, list_stack)

    walk(soup, [])
    flush()
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines)


def clean_text(value: object) -> str | None:
    """Normalise one text value: HTML converted, entities decoded, whitespace tidied;
    None for empty values."""
    if value is None:
        return None
    text = str(value)
    if looks_like_html(text):
        text = html_to_text(text)  # lines already tidy; nested list items keep their indent
    else:
        text = html.unescape(text)
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
        text = "\n".join(re.sub(r"[ \t]+", " ", line).rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if text.lower() in _EMPTY_MARKERS:
        return None
    return text
