"""The crawler's commands: fetch, extract (and later crawl, source)."""
