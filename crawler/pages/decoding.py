"""Bytes to text: BOM, then the HTTP header charset, then <meta charset>, then detection."""

from __future__ import annotations

from w3lib.encoding import html_body_declared_encoding, html_to_unicode, read_bom

# What a <meta> may declare for a body that is in fact valid UTF-8: pages re-saved as UTF-8 keep
# their old Latin declaration, and decoding them as declared turns "é" into "Ã©".
_LATIN_DECLARATIONS = {"cp1252", "latin-1", "latin_1", "iso8859-1", "iso8859-15", "ascii"}


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTML body the way browsers do (w3lib's HTML5 rules), trusting valid UTF-8."""
    if read_bom(body)[0] is None and not _header_charset(content_type):
        declared = html_body_declared_encoding(body)
        if declared in _LATIN_DECLARATIONS and not body.isascii() and _is_utf8(body):
            return body.decode("utf-8")
    _encoding, text = html_to_unicode(content_type, body)
    return text


def _header_charset(content_type: str | None) -> bool:
    return "charset=" in (content_type or "").lower()


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
