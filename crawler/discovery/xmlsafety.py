"""Refuse XML that declares entities: billion laughs, external entities, network fetches."""

from __future__ import annotations

from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# lxml parser options for feeds and sitemaps: no entities, DTDs, network or huge trees (belt and
# braces after refuse_entities), no comments or processing instructions in the tree.
LOCKED_DOWN: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


class DiscoveryError(ValueError):
    """A feed or sitemap that cannot be used: invalid, unsafe or empty of meaning."""


def refuse_entities(body: bytes) -> None:
    """Raise DiscoveryError if `body` declares entities or external references.

    Feeds and sitemaps never need them; parsers downstream then never see one. A document
    expat cannot parse at all passes through: lenient parsers decide what to do with it.
    """
    try:
        fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise DiscoveryError(f"unsafe XML refused ({type(exc).__name__}: {exc})") from exc
    except (ParseError, ValueError):
        return
