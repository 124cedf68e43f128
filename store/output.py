"""Rows out: an aligned table for people, CSV, a JSON array or newline-delimited JSON."""

from __future__ import annotations

import base64
import csv
import functools
import io
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import click

FORMATS = ("table", "csv", "json", "nl")
MAX_CELL = 60  # table cells are cut here: a body text would otherwise fill the screen
F = TypeVar("F", bound=Callable[..., Any])


FORMAT_HELP = {
    "table": "Aligned table (the default).",
    "csv": "CSV with a header row.",
    "json": "One JSON array of objects.",
    "nl": "One JSON object per line.",
}


def format_options(func: F) -> F:
    """--table (the default), --csv, --json and --nl, passed on as `fmt`; two are refused."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        chosen = [name for name in FORMATS if kwargs.pop(f"as_{name}")]
        if len(chosen) > 1:
            given = " and ".join(f"--{name}" for name in chosen)
            raise click.UsageError(f"give one output format, not {given}")
        return func(*args, fmt=chosen[0] if chosen else "table", **kwargs)

    decorated: Any = wrapper
    for name in reversed(FORMATS):
        decorated = click.option(f"--{name}", f"as_{name}", is_flag=True, help=FORMAT_HELP[name])(
            decorated
        )
    return decorated  # type: ignore[no-any-return]


def render(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> Iterator[str]:
    """The rows in `fmt`, as text chunks to print in order (each ends with a newline)."""
    if fmt == "csv":
        yield from _csv(columns, rows)
    elif fmt == "json":
        yield from _json_array(columns, rows)
    elif fmt == "nl":
        for row in rows:
            yield json.dumps(_record(columns, row), ensure_ascii=False) + "\n"
    else:
        yield from (line + "\n" for line in aligned_table(columns, rows))


def aligned_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], cut: bool = True
) -> list[str]:
    """A header, a rule and one line per row, columns padded to their widest cell (cells cut
    at MAX_CELL characters unless `cut` is False)."""
    cells = [[_cell(value, cut) for value in row] for row in rows]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(columns)]
    lines = [list(columns), ["-" * width for width in widths], *cells]
    return [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    ]


def json_value(value: Any) -> Any:
    """A database value as JSON: dates as ISO 8601, bytes as base64, decimals as numbers."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$base64": True, "encoded": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def text_value(value: Any) -> str:
    """A database value as plain text: NULL empty, bytes by size, structures as JSON."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _cell(value: Any, cut: bool = True) -> str:
    one_line = " ".join(text_value(value).split("\n"))
    return one_line if not cut or len(one_line) <= MAX_CELL else one_line[: MAX_CELL - 1] + "…"


def _record(columns: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    return {name: json_value(value) for name, value in zip(columns, row, strict=True)}


def _csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([text_value(value) for value in row])
    yield buffer.getvalue()


def _json_array(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Iterator[str]:
    if not rows:
        yield "[]\n"
        return
    for index, row in enumerate(rows):
        opener = "[" if index == 0 else ","
        yield f"{opener}{json.dumps(_record(columns, row), ensure_ascii=False)}\n"
    yield "]\n"
