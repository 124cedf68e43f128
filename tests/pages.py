"""Small article pages for tests, with the kind of template noise real themes add."""

from __future__ import annotations

BODY = [
    "The city council voted on Tuesday to approve the new riverside park, ending a debate "
    "that has divided residents for almost a decade.",
    "Supporters said the park would bring families back to the waterfront, while critics "
    "argued that the money should have gone to repairing the crumbling bridges instead.",
    "The mayor explained <a href='/budget'>that</a> the project would be paid for by a "
    "regional grant and would not raise local taxes in the coming years.",
    "Construction is expected to begin in the spring and to last about eighteen months, "
    "according to the planning department's latest schedule.",
]


def article_page(
    title: str = "Council approves riverside park",
    paragraphs: list[str] | None = None,
    views: int = 1234,
    header_date: str = "27 November 2026",
    nonce: str = "abc123",
    ad: str = "Buy cheap flights today",
) -> str:
    """A news page whose template parts (views, header date, nonce, ad) can vary freely."""
    body = "\n".join(f"<p>{p}</p>" for p in (paragraphs or BODY))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Daily Example</title>
<meta property="og:title" content="{title}">
<meta name="author" content="Jane Roe">
<meta property="article:published_time" content="2026-11-20T08:30:00+01:00">
<script nonce="{nonce}">window.csrf = "{nonce}";</script></head>
<body><header><nav>Home World Politics Sport</nav><span class="date">{header_date}</span></header>
<aside class="ad">{ad}</aside>
<article><h1>{title}</h1>
{body}
<figure><img src="park.jpg">
<figcaption>The riverside at dusk. Photo: City archive</figcaption></figure>
<p>Views: {views}</p>
<h3>Leave a Reply</h3><p>Your email address will not be published. Required fields are marked *</p>
</article>
<footer>Copyright Daily Example. Back to top</footer></body></html>"""


# Five lines of plain news prose: what boilerplate rules must leave as they are.
TRAM_STORY = [
    "The regional assembly approved the tram line extension on Thursday, adding six stops and "
    "linking the university campus to the central station for the first time in its history.",
    "Construction will start next spring and is expected to take three years, with the first "
    "trams running on the new section well before the end of the decade, officials said.",
    "Opposition members argued that the money would have been better spent on buses, which can "
    "serve the outlying villages that the tram network will never reach at any price.",
    "Shop owners along the route said they welcomed the decision but feared two years of "
    "roadworks outside their doors, and asked the council for help with lost trade.",
    "The transport authority said it would publish a detailed timetable for the works in the "
    "autumn, after talks with the contractors and with the residents' associations.",
]
