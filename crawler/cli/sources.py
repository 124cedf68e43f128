"""`archivist source ...`: the sites a user archives, how they are discovered, and when."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.orm import Session

from crawler.cli.source_fields import (
    FieldError,
    checked_name,
    declared_type_error,
    describe,
    discovery_fields,
    schedule_fields,
    schedule_text,
    setting_error,
    settings_option,
    settings_table,
)
from crawler.settings import check_revisit_bounds
from store.cli_options import db_option, one_line_errors
from store.db import open_archive, transaction
from store.models import Source, TemplateLine
from store.output import aligned_table, text_value
from store.sources import (
    SourceError,
    add_source,
    get_source,
    list_sources,
    remove_source,
    update_source,
)
from store.templates import template_lines

F = TypeVar("F", bound=Callable[..., Any])
KIND_OPTIONS = {"feed": "feed", "sitemap": "sitemap", "start": "start"}


@contextmanager
def archive_session(db_url: str | None, create: bool = False) -> Iterator[Session]:
    """One transaction on the archive; SourceError becomes a one-line error.

    Only the commands that add sources (`create`) make a new archive: the others, run in the
    wrong folder, say there is no archive there instead of leaving an empty one.
    """
    engine = open_archive(db_url, create=create)
    try:
        with transaction(engine) as session:
            yield session
    except SourceError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()


# --- commands --------------------------------------------------------------------------------


def discovery_options(depth_default: str) -> list[Any]:
    """The options of `add` and `edit`; `depth_default` is the help's note of --depth's default."""
    return [
        click.option("--feed", metavar="URL", help="An RSS or Atom feed listing the articles."),
        click.option("--sitemap", metavar="URL", help="A sitemap, sitemap index or news sitemap."),
        click.option("--start", metavar="URL", help="A section page whose links lead to articles."),
        click.option("--follow", metavar="REGEX", help="With --start: follow links matching this."),
        click.option(
            "--depth", type=int, help=f"With --start: link levels to follow{depth_default}."
        ),
        click.option("--every", metavar="DURATION", help="Crawl interval: 30s, 15m, 1h, 1d..."),
        click.option(
            "--cron", metavar="EXPR", help="Crawl schedule as a crontab line: '0 * * * *'."
        ),
        click.option(
            "--timezone",
            metavar="ZONE",
            help="The time zone --cron is read in: an IANA name such as Europe/Moscow "
            "[default: UTC].",
        ),
        click.option(
            "-s",
            "--set",
            "settings",
            multiple=True,
            metavar="NAME=VALUE",
            help="A crawl setting for this source only (see 'Crawl settings'); repeatable.",
        ),
    ]


def with_discovery_options(depth_default: str) -> Callable[[F], F]:
    """Decorate a command with the discovery and schedule options."""

    def decorate(func: F) -> F:
        for option in reversed(discovery_options(depth_default)):
            func = option(func)
        return func

    return decorate


@click.group("source")
def source() -> None:
    """Add, list, change and remove the sources (sites) the archive crawls."""


@source.command("add")
@click.argument("name")
@with_discovery_options(" [default: 1]")
@db_option
@one_line_errors
def source_add(name: str, db_url: str | None, **options: Any) -> None:
    """Add a source: one of --feed/--sitemap/--start, and --every or --cron.

    \b
    archivist source add worlddaily --feed https://worlddaily.example/feed/ --every 15m
    archivist source add minsk --start https://minsk.example/politics/ \\
        --follow '/20\\d\\d/\\d\\d/' --depth 2 --cron '0 * * * *'
    archivist source add morning --feed https://morning.example/rss --cron '0 7 * * 1-5' \\
        --timezone Europe/Moscow
    """
    checked_name(name)
    fields = _fields(options)
    if "kind" not in fields:
        raise click.UsageError("give one of --feed URL, --sitemap URL or --start URL")
    if not fields.get("every_seconds") and not fields.get("cron"):
        raise click.UsageError("give a schedule: --every DURATION or --cron EXPR")
    with archive_session(db_url, create=True) as session:
        kind, url = fields.pop("kind"), fields.pop("url")
        added = add_source(session, name, kind, url, **fields)
        click.echo(f"added {added.name}: {added.kind} {added.url}, {schedule_text(added)}")


def _fields(options: dict[str, Any]) -> dict[str, Any]:
    fields = discovery_fields(
        options["feed"], options["sitemap"], options["start"], options["follow"], options["depth"]
    )
    fields.update(schedule_fields(options["every"], options["cron"], options["timezone"]))
    if options["settings"]:
        fields["options"] = {"settings": settings_option(options["settings"])}
    return fields


@source.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@db_option
@one_line_errors
def source_list(as_json: bool, db_url: str | None) -> None:
    """List the sources with their kind, URL, schedule and state."""
    with archive_session(db_url) as session:
        rows = [describe(s) for s in list_sources(session)]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no sources yet: add one with `archivist source add`")
        return
    for line in _list_lines(rows):
        click.echo(line)


LIST_HEADER = ("name", "kind", "schedule", "state", "url")


def _list_lines(rows: list[dict[str, Any]]) -> list[str]:
    """A header, a rule and one line per source; the URL last, never cut."""
    state = {True: "enabled", False: "disabled"}
    cells = [(r["name"], r["kind"], r["every"], state[r["enabled"]], r["url"]) for r in rows]
    return aligned_table(LIST_HEADER, cells, cut=False)


@source.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@click.option(
    "--template",
    is_flag=True,
    help="Show the template learned for the source: lines its articles carry verbatim, "
    "removed from its text.",
)
@db_option
@one_line_errors
def source_show(name: str, as_json: bool, template: bool, db_url: str | None) -> None:
    """Show one source in full (or, with --template, what was learned of its template)."""
    with archive_session(db_url) as session:
        found = get_source(session, name)
        row = describe(found)
        if template:
            row["template"] = [_template_line(line) for line in template_lines(session, found.id)]
    if template:
        _show_template(name, row["template"], as_json)
        return
    if as_json:
        click.echo(json.dumps(row, indent=2, ensure_ascii=False))
        return
    for key, value in row.items():
        if key not in ("every_seconds", "cron") and value not in (None, {}, ""):
            click.echo(f"{key + ':':<12} {text_value(value)}")


def _template_line(line: TemplateLine) -> dict[str, Any]:
    return {
        "text": line.text,
        "documents": line.documents,
        "sample_size": line.sample_size,
        "learned_at": line.learned_at.isoformat(),
        "last_seen_at": line.last_seen_at.isoformat(),
        "retired_at": line.retired_at.isoformat() if line.retired_at else None,
    }


def _show_template(name: str, lines: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"source": name, "template": lines}, indent=2, ensure_ascii=False))
        return
    if not lines:
        click.echo(
            f"no template learned for {name} yet: crawls learn it once enough articles agree"
        )
    for line in lines:
        share = f"{line['documents']}/{line['sample_size']} articles"
        retired = "  (retired: no longer removed)" if line["retired_at"] else ""
        click.echo(f"{share:>18}  {line['text']}{retired}")


@source.command("edit")
@click.argument("name")
@with_discovery_options("")
@click.option(
    "--no-follow",
    is_flag=True,
    help="With a start source: drop its --follow pattern (every same-site link is followed).",
)
@click.option(
    "--unset",
    multiple=True,
    metavar="NAME",
    help="Remove a setting that -s gave this source; repeatable.",
)
@db_option
@one_line_errors
def source_edit(
    name: str, db_url: str | None, no_follow: bool, unset: tuple[str, ...], **options: Any
) -> None:
    """Change a source: give only the options that change (-s adds or replaces settings,
    --unset removes one, --no-follow clears --follow)."""
    fields = _fields(options)
    if no_follow:
        if options["follow"] is not None:
            raise click.UsageError("give --follow REGEX or --no-follow, not both")
        fields["follow"] = None
    if not fields and not unset:
        raise click.UsageError("nothing to change: give at least one option")
    with archive_session(db_url) as session:
        current = get_source(session, name)
        _check_discovery_edit(current, fields)
        if "options" in fields or unset:
            fields["options"] = _edited_options(current, fields.get("options"), unset)
        _apply(session, name, fields)
        click.echo(f"changed {name}")


def _edited_options(
    current: Source, given: dict[str, Any] | None, unset: tuple[str, ...]
) -> dict[str, Any]:
    """The source's options with -s settings added or replaced and --unset ones removed."""
    options = dict(current.options or {})
    settings = {**options.get("settings", {}), **(given or {}).get("settings", {})}
    for setting in unset:
        if given and setting in given["settings"]:
            raise click.UsageError(f"{setting} is both set (-s) and unset (--unset)")
        if setting not in settings:
            held = ", ".join(sorted(settings)) or "none"
            raise click.UsageError(
                f"{current.name} has no setting {setting} to unset (its settings: {held})"
            )
        del settings[setting]
    try:  # the bounds as they will be stored, whichever of the two this edit gave
        check_revisit_bounds(settings)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    return {**options, "settings": settings}


def _check_discovery_edit(current: Source, fields: dict[str, Any]) -> None:
    """--follow/--depth only for a start source; a source that stops being one drops them."""
    kind = fields.get("kind", current.kind)
    if kind == "start":
        return
    if "follow" in fields or "depth" in fields:
        raise click.UsageError(
            f"--follow, --no-follow and --depth go with --start: {current.name} is a {kind}"
        )
    if current.kind == "start":
        fields.update(follow=None, depth=1)


def _apply(session: Session, name: str, fields: dict[str, Any]) -> Source:
    """update_source, plus clearing what a None value clears (update_source ignores them)."""
    changed = update_source(session, name, **{k: v for k, v in fields.items() if v is not None})
    if "follow" in fields and fields["follow"] is None:
        changed.follow = None
    if fields.get("every_seconds"):
        changed.cron = changed.timezone = None
    if fields.get("cron"):
        changed.every_seconds = None
    if "timezone" in fields and not fields["timezone"]:
        changed.timezone = None  # a declaration without one: UTC again
    if changed.timezone and not changed.cron:
        raise click.UsageError(f"{name} has no --cron schedule: --timezone goes with --cron")
    return changed


@source.command("disable")
@click.argument("name")
@db_option
@one_line_errors
def source_disable(name: str, db_url: str | None) -> None:
    """Stop crawling a source on schedule (its archive stays; `archivist crawl` still works)."""
    with archive_session(db_url) as session:
        update_source(session, name, enabled=False)
    click.echo(f"disabled {name}")


@source.command("enable")
@click.argument("name")
@db_option
@one_line_errors
def source_enable(name: str, db_url: str | None) -> None:
    """Crawl a disabled source on schedule again."""
    with archive_session(db_url) as session:
        update_source(session, name, enabled=True)
    click.echo(f"enabled {name}")


@source.command("remove")
@click.argument("name")
@db_option
@one_line_errors
def source_remove(name: str, db_url: str | None) -> None:
    """Delete a source. Its documents, versions and runs stay in the archive."""
    with archive_session(db_url) as session:
        remove_source(session, name)
    click.echo(f"removed {name}")


@source.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@one_line_errors
def source_import(file: Path, db_url: str | None) -> None:
    """Add or update the sources declared in a TOML file; running it twice changes nothing.

    \b
    [sources.worlddaily]
    feed = "https://worlddaily.example/feed/"
    every = "15m"
    [sources.minsk]
    start = "https://minsk.example/politics/"
    follow = '/20\\d\\d/\\d\\d/'
    depth = 2
    cron = "0 * * * *"
    timezone = "Europe/Minsk"   # optional: the zone cron is read in [UTC]
    enabled = true            # optional: left out, a known source keeps its state
    settings = { DOWNLOAD_DELAY = 1 }   # optional
    """
    declared = read_declarations(file)
    with archive_session(db_url, create=True) as session:
        existing = {s.name: s for s in list_sources(session)}
        tally = {"added": 0, "changed": 0, "unchanged": 0}
        for name, fields in declared.items():
            tally[_import_one(session, existing.get(name), name, fields)] += 1
    click.echo(", ".join(f"{count} {what}" for what, count in tally.items()))


IMPORT_KEYS = {
    "feed",
    "sitemap",
    "start",
    "follow",
    "depth",
    "every",
    "cron",
    "timezone",
    "enabled",
    "settings",
}


def read_declarations(file: Path) -> dict[str, dict[str, Any]]:
    """Each `[sources.NAME]` table as Source column values, validated."""
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise click.UsageError(f"{file}: not valid TOML: {exc}") from exc
    tables = data.get("sources")
    if not isinstance(tables, dict) or not tables:
        raise click.UsageError(f"{file}: no [sources.NAME] tables")
    return {name: _declared(file, name, table) for name, table in tables.items()}


def _declared(file: Path, name: str, table: Any) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise click.UsageError(f"{file}: sources.{name} is not a table")
    unknown = set(table) - IMPORT_KEYS
    if unknown:
        raise click.UsageError(f"{file}: sources.{name}: unknown key(s) {', '.join(unknown)}")
    for key, value in table.items():
        problem = declared_type_error(key, value)
        if problem:
            raise click.UsageError(f"{file}: sources.{name}.{key}: {problem}")
    _check_settings(file, name, table.get("settings", {}))
    try:
        fields = _declared_fields(name, table)
    except FieldError as exc:
        raise click.UsageError(f"{file}: sources.{name}.{exc.field}: {exc.problem}") from exc
    except click.UsageError as exc:
        raise click.UsageError(f"{file}: sources.{name}: {exc.message}") from exc
    if "kind" not in fields or not (fields.get("every_seconds") or fields.get("cron")):
        raise click.UsageError(f"{file}: sources.{name} needs feed/sitemap/start and every/cron")
    return fields


def _check_settings(file: Path, name: str, settings: dict[str, Any]) -> None:
    """Each entry of a declaration's `settings` table, named by its TOML path when refused."""
    for key, value in settings.items():
        problem = setting_error(key, value)
        if problem:
            raise click.UsageError(f"{file}: sources.{name}.settings.{_toml_key(key)}: {problem}")


def _toml_key(key: str) -> str:
    """A key as a TOML dotted path spells it: bare when it can be, else quoted."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _declared_fields(name: str, table: dict[str, Any]) -> dict[str, Any]:
    """Source column values of a declaration whose values have the right types."""
    checked_name(name)
    every = table.get("every")
    fields = discovery_fields(
        table.get("feed"), table.get("sitemap"), table.get("start"),
        table.get("follow"), table.get("depth"),
    )  # fmt: skip
    fields.update(
        schedule_fields(
            None if every is None else str(every), table.get("cron"), table.get("timezone")
        )
    )
    fields.setdefault("follow", None)
    fields.setdefault("depth", 1)
    fields.setdefault("timezone", None)
    if "enabled" in table:  # left out: a new source is enabled, a known one stays as it is
        fields["enabled"] = table["enabled"]
    fields["options"] = {"settings": settings_table(table.get("settings", {}))}
    return fields


def _import_one(session: Session, current: Source | None, name: str, fields: dict[str, Any]) -> str:
    if current is None:
        values = {"enabled": True, **fields}
        add_source(session, name, values.pop("kind"), values.pop("url"), **values)
        return "added"
    if all(getattr(current, column) == value for column, value in fields.items()):
        return "unchanged"
    _apply(session, name, fields)
    return "changed"
