"""parse_mode validation, roughly as strict as Telegram: the visible text of HTML or
MarkdownV2, or the ``can't parse entities`` error Telegram would answer."""

from __future__ import annotations

import html
import re

from bot_api_double.errors import ApiError

_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
        "tg-time",
    }
)
_HTML_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def render(text: str, parse_mode: str | None) -> str:
    """Return the visible text, raising ApiError(400) for markup Telegram would reject."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _render_html(text)
    if mode == "markdownv2":
        return _render_md2(text)
    return text


def _entity_error(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


def _render_html(text: str) -> str:
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    while True:
        lt = text.find("<", pos)
        chunk = text[pos:] if lt < 0 else text[pos:lt]
        out.append(chunk)
        if lt < 0:
            break
        match = _HTML_TAG_RE.match(text, lt)
        offset = len(text[:lt].encode())
        if match is None:
            raise _entity_error(f"Unexpected character '<' at byte offset {offset}")
        closing, tag, _attrs = match.group(1), match.group(2).lower(), match.group(3)
        if tag not in _HTML_TAGS:
            kind = "end" if closing else "start"
            raise _entity_error(f'Unsupported {kind} tag "{tag}" at byte offset {offset}')
        if closing:
            if not stack or stack[-1] != tag:
                raise _entity_error(
                    f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", '
                    f'found "</{tag}>"'
                    if stack
                    else f"Unexpected end tag at byte offset {offset}"
                )
            stack.pop()
        else:
            stack.append(tag)
        pos = match.end()
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return html.unescape("".join(out))


def _render_md2(text: str) -> str:
    out: list[str] = []
    stack: list[str] = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        offset = len(text[:i].encode())
        if c == "\\":
            if i + 1 >= n:
                raise _entity_error(f"Unexpected end of text after '\\' at byte offset {offset}")
            out.append(text[i + 1])
            i += 2
            line_start = False
            continue
        top = stack[-1] if stack else None
        if top in ("```", "`"):
            if text.startswith(top, i):
                stack.pop()
                i += len(top)
            else:
                out.append(c)
                i += 1
            continue
        if text.startswith("```", i):
            stack.append("```")
            i += 3
            nl = text.find("\n", i)  # optional language tag
            if nl >= 0 and re.fullmatch(r"[A-Za-z0-9_+-]*", text[i:nl]):
                i = nl + 1
            continue
        token = None
        for cand in ("||", "__", "*", "_", "~", "`"):
            if text.startswith(cand, i):
                token = cand
                break
        if token is not None:
            if top == token:
                stack.pop()
            elif token in stack:
                raise _entity_error(f"Can't find end of {token} entity at byte offset {offset}")
            else:
                stack.append(token)
            i += len(token)
            line_start = False
            continue
        if c == "!" and i + 1 < n and text[i + 1] == "[":
            i += 1
            continue
        if c == "[":
            stack.append("[")
            i += 1
            continue
        if c == "]" and top == "[":
            stack.pop()
            if i + 1 < n and text[i + 1] == "(":
                j = i + 2
                while j < n and text[j] != ")":
                    j += 2 if text[j] == "\\" else 1
                if j >= n:
                    raise _entity_error(f"Can't find end of a URL at byte offset {offset}")
                i = j + 1
            else:
                i += 1
            continue
        if c == ">" and line_start:
            i += 1
            continue
        if c in _MD2_RESERVED:
            raise _entity_error(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        out.append(c)
        line_start = c == "\n"
        i += 1
    if stack:
        raise _entity_error(f"Can't find end of {stack[-1]} entity")
    return "".join(out)
