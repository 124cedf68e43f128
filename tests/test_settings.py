"""`-s NAME=VALUE` overrides."""

from __future__ import annotations

import pytest

from crawler.settings import crawl_settings, parse_overrides


def test_values_are_converted_and_applied() -> None:
    overrides = parse_overrides(("DOWNLOAD_DELAY=0.5", "ROBOTSTXT_OBEY=false", "RETRY_TIMES=5"))
    assert overrides == {"DOWNLOAD_DELAY": 0.5, "ROBOTSTXT_OBEY": False, "RETRY_TIMES": 5}
    settings = crawl_settings(overrides)
    assert settings["RETRY_TIMES"] == 5 and settings["ROBOTSTXT_OBEY"] is False


@pytest.mark.parametrize("pair", ["NOEQUALS", "=value"])
def test_malformed_pairs_are_refused(pair: str) -> None:
    with pytest.raises(ValueError, match="NAME=VALUE"):
        parse_overrides((pair,))


def test_internal_settings_are_refused_without_echoing_the_value() -> None:
    with pytest.raises(ValueError, match="set by archivist itself") as error:
        parse_overrides(("ARCHIVIST_DB_URL=postgresql://u:secret@host/db",))
    assert "secret" not in str(error.value)
