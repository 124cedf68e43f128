"""Pure normalisers: text, URLs, dates and boilerplate rules. No Scrapy, no SQLAlchemy."""
