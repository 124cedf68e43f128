"""Spiders: discovery and fetching only; no database, no normalising."""
