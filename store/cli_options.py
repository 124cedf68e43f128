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
            raise click.ClickException(database_error(exc, kwargs.get("db_url"))) from exc

    return wrapper  # type: ignore[return-value]


def database_error(exc: SQLAlchemyError, db_url: str | None) -> str:
    """`database error: ` and the first line of the driver's message, any password hidden."""
    message = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if db_url and "://" in db_url:  # a bare SQLite path has no password
        message = message.replace(db_url, safe_url(db_url))
    return f"database error: {message}"
