"""Discovery: pure parsers turning feeds, sitemaps and section pages into article listings."""
