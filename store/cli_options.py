"""Options and error handling shared by every command that touches the archive."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from store.db import DB_ENV, ArchiveURLError, SchemaError, safe_url

F = TypeVar("F", bound=Callable[..., Any])

db_option = click.option(
    "--db",
    "db_url",
    envvar=DB_ENV,
    show_envvar=True,
    metavar="URL",
    help="Archive database: a SQLAlchemy URL or a SQLite file path [default: ./archive.db].",
)


def one_line_errors(func: F) -> F:
    """Turn archive and database failures into a one-line message and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (SchemaError, ArchiveURLError) as exc:
            raise click.ClickException(str(exc)) from exc
        except SQLAlchemyError as exc:
            message = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            url = kwargs.get("db_url")
            if url and "://" in str(url):  # a bare SQLite path has no password
                message = message.replace(str(url), safe_url(str(url)))
            raise click.ClickException(f"database error: {message}") from exc

    return wrapper  # type: ignore[return-value]
