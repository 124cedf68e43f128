"""Bytes to text: BOM, then the HTTP header charset, then <meta charset>, then detection; text
that was encoded to UTF-8 twice is mended."""

from __future__ import annotations

import re
from codecs import lookup

from w3lib.encoding import html_body_declared_encoding, html_to_unicode, read_bom

# What a <meta> may declare for a body that is in fact valid UTF-8: pages re-saved as UTF-8 keep
# their old Latin declaration, and decoding them as declared turns "é" into "Ã©".
_LATIN_DECLARATIONS = {"cp1252", "latin-1", "latin_1", "iso8859-1", "iso8859-15", "ascii"}
# Text encoded to UTF-8 twice: each character's UTF-8 bytes were taken for Latin-1 characters and
# encoded again ("—" is E2 80 94 once; "â", U+0080, U+0094 twice), and shows as "debtânearly",
# "Thatâs", "CafÃ©". Its mark is a Latin letter followed by a C1 control character (U+0080 to
# U+009F), which real text never holds; searched in the bytes, ten times cheaper than in the text.
_TWICE_IN_BYTES = re.compile(rb"\xc3[\x82-\xb4]\xc2[\x80-\x9f]")
# One character's UTF-8 bytes read as Latin-1: a lead byte and its continuation bytes.
_TWICE = re.compile(
    "[\u00c2-\u00df][\u0080-\u00bf]"
    "|[\u00e0-\u00ef][\u0080-\u00bf]{2}"
    "|[\u00f0-\u00f4][\u0080-\u00bf]{3}"
)


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTML body the way browsers do (w3lib's HTML5 rules), trusting valid UTF-8."""
    if read_bom(body)[0] is None and not _header_charset(content_type):
        declared = html_body_declared_encoding(body)
        if declared in _LATIN_DECLARATIONS and not body.isascii() and _is_utf8(body):
            return _mend_double_encoding(body, body.decode("utf-8"))
    encoding, text = html_to_unicode(content_type, body)
    return _mend_double_encoding(body, text) if lookup(encoding).name == "utf-8" else text


def _mend_double_encoding(body: bytes, text: str) -> str:
    """`text` with each character encoded to UTF-8 twice decoded once more, when the body bears
    the mark of such text; unchanged otherwise. Only whole byte sequences are mended: "AMANHÃ NA"
    and "XÃ HỘI" in correct text nearby stay as they are (ftfy's fix_encoding takes "Ã " for a
    damaged "à"). A capital followed at once by a symbol in correct text on such a page ("É»")
    reads as one character encoded twice, and is mended too."""
    return _TWICE.sub(_decode_again, text) if _TWICE_IN_BYTES.search(body) else text


def _decode_again(match: re.Match[str]) -> str:
    try:
        return match.group().encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:  # "Ã\x80": no character's bytes
        return match.group()


def _header_charset(content_type: str | None) -> bool:
    return "charset=" in (content_type or "").lower()


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
