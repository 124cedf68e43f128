"""`-s NAME=VALUE` overrides."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from crawler.settings import crawl_settings, parse_overrides
from scheduler.cli import cli


def test_values_are_converted_and_applied() -> None:
    overrides = parse_overrides(("DOWNLOAD_DELAY=0.5", "ROBOTSTXT_OBEY=false", "RETRY_TIMES=5"))
    assert overrides == {"DOWNLOAD_DELAY": 0.5, "ROBOTSTXT_OBEY": False, "RETRY_TIMES": 5}
    # stored as JSON with the source: never a float JSON cannot hold
    assert parse_overrides(("X_A=nan", "X_B=inf", "X_C=-Infinity")) == {
        "X_A": "nan", "X_B": "inf", "X_C": "-Infinity"
    }  # fmt: skip
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


def test_a_misspelt_archivist_setting_is_refused_with_the_likely_name() -> None:
    with pytest.raises(ValueError, match="did you mean ARCHIVIST_REVISIT_ALL"):
        parse_overrides(("ARCHIVIST_REVIST_ALL=true",))
    with pytest.raises(ValueError, match="environment variable"):
        parse_overrides(("ARCHIVIST_USER_AGENT=me",))
    with pytest.raises(ValueError, match="no archivist setting named ARCHIVIST_NOTHING_LIKE"):
        parse_overrides(("ARCHIVIST_NOTHING_LIKE=1",))
    # Scrapy's and its add-ons' settings pass as they are: archivist cannot know them all
    assert parse_overrides(("SOME_PLUGIN_OPTION=3",)) == {"SOME_PLUGIN_OPTION": 3}


def test_the_cli_refuses_a_misspelt_setting_in_one_line() -> None:
    result = CliRunner().invoke(cli, ["crawl", "nosuch", "-s", "ARCHIVIST_LIMT=5"])
    assert result.exit_code == 2, result.output
    assert "did you mean ARCHIVIST_LIMIT?" in result.output and "Traceback" not in result.output


def test_components_left_off_are_left_out_of_scrapys_base_lists_too() -> None:
    settings = crawl_settings()
    extensions = settings["EXTENSIONS_BASE"]
    assert "scrapy.extensions.remote_control.RemoteControl" not in extensions
    assert "scrapy.extensions.telnet.TelnetConsole" not in extensions
    assert "scrapy.extensions.corestats.CoreStats" in extensions  # the rest stay as Scrapy has them
    middlewares = settings["DOWNLOADER_MIDDLEWARES_BASE"]
    assert "scrapy.downloadermiddlewares.cookies.CookiesMiddleware" not in middlewares
    assert "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware" in middlewares
    assert settings["DOWNLOADER_MIDDLEWARES"]["crawler.middlewares.known.KnownDocumentsMiddleware"]


def test_cookies_turned_on_keep_their_middleware() -> None:
    settings = crawl_settings({"COOKIES_ENABLED": True})
    assert (
        "scrapy.downloadermiddlewares.cookies.CookiesMiddleware"
        in (settings["DOWNLOADER_MIDDLEWARES_BASE"])
    )


def test_component_lists_given_as_json_text_are_read_as_scrapy_reads_them() -> None:
    given = '{"crawler.middlewares.retry_after.RetryAfterMiddleware": 560}'
    settings = crawl_settings({"DOWNLOADER_MIDDLEWARES": given})  # as `-s` passes it
    middlewares = settings["DOWNLOADER_MIDDLEWARES"]
    assert middlewares["crawler.middlewares.retry_after.RetryAfterMiddleware"] == 560
    cookies = "scrapy.downloadermiddlewares.cookies.CookiesMiddleware"
    assert cookies not in settings["DOWNLOADER_MIDDLEWARES_BASE"]
    unreadable = crawl_settings({"EXTENSIONS": "not json"})  # left for Scrapy to refuse
    assert unreadable["EXTENSIONS"] == "not json"
