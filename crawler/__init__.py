"""Fetching and reading articles: spiders, page objects, normalisers, pipelines."""
