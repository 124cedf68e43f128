"""Bytes to text: HTTP header charset, then BOM, then <meta charset>, then detection."""

from __future__ import annotations

from w3lib.encoding import html_to_unicode


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTML body the way browsers do (w3lib's HTML5-compatible rules)."""
    _encoding, text = html_to_unicode(content_type, body)
    return text
