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
# A run of text that shows it was encoded twice: a C1 character, or "Â"/"Ã" before a byte of a
# character's tail (the Latin-1 letters: "Ã©" for "é", "Â" before a no-break space).
_MARKED = re.compile("[\u0080-\u009f]|[\u00c2\u00c3][\u0080-\u00bf]")
_TEXT_RUN = re.compile("[^<]+")  # text, or a tag's inside, up to the next tag
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
    the mark of such text; unchanged otherwise. Only runs of text between tags that show it
    themselves are mended, whole byte sequences only: correct text elsewhere on the page stays
    as written ("AMANHÃ NA", "café\xa0»", which would read as one character encoded twice).
    ftfy's fix_encoding is not used: it takes "Ã " for a damaged "à"."""
    return _TEXT_RUN.sub(_mend_run, text) if _TWICE_IN_BYTES.search(body) else text


def _mend_run(match: re.Match[str]) -> str:
    run = match.group()
    return _TWICE.sub(_decode_again, run) if _MARKED.search(run) else run


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
