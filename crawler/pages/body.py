"""The article body: trafilatura with explicit options, on a tree a page object prepared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml.html import HtmlElement
from trafilatura import bare_extraction

# Captions, credits and gallery labels describe pictures, not the story. One union expression:
# trafilatura walks the tree once per expression.
CAPTION_XPATH = " | ".join(
    (
        "//figcaption",
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' wp-caption-text ')]",
        "//*[contains(@class, 'caption') and not(self::body or self::article or self::main)]",
        "//*[contains(@class, 'credit') and not(self::body or self::article or self::main)]",
    )
)


# Inline elements inside prose that trafilatura would drop (<time>) or turn into a block (<q>).
PROSE_INLINE_XPATH = "//p//time | //li//time | //td//time | //p//q | //li//q"


def unwrap_prose_inline(tree: HtmlElement) -> HtmlElement:
    """Unwrap <time> and <q> inside paragraphs so sentences read as written (mutates `tree`)."""
    for node in tree.xpath(PROSE_INLINE_XPATH):
        if node.tag == "q":
            node.text = f"“{node.text or ''}"
            last = node[-1] if len(node) else None
            if last is not None:
                last.tail = f"{last.tail or ''}”"
            else:
                node.text += "”"
        node.tag = "span"  # inline and kept: trafilatura reads its text in place
    return tree


@dataclass(frozen=True)
class ExtractionOptions:
    """trafilatura's options, fixed once here rather than passed as loose keywords."""

    include_tables: bool = True
    favor_precision: bool = False
    favor_recall: bool = False
    prune_xpath: tuple[str, ...] = (CAPTION_XPATH,)

    def keywords(self) -> dict[str, Any]:
        """The explicit keyword set handed to trafilatura."""
        return {
            "include_comments": False,
            "include_images": False,
            "include_links": False,
            "include_formatting": False,
            "include_tables": self.include_tables,
            "favor_precision": self.favor_precision,
            "favor_recall": self.favor_recall,
            "deduplicate": False,  # its LRU cache is process-global and changes results
            "with_metadata": False,  # the page object reads metadata itself, cheaper and first
            "prune_xpath": list(self.prune_xpath),
        }


def extract_body(tree: HtmlElement, url: str, options: ExtractionOptions) -> str:
    """The body text trafilatura finds in `tree` (left untouched: trafilatura copies it)."""
    document = bare_extraction(tree, url=url, **options.keywords())
    return str(getattr(document, "text", None) or "") if document is not None else ""
