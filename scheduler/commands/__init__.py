"""The scheduler's commands. Each module holds one command; COMMANDS lists them all."""

from __future__ import annotations

import click

from scheduler.commands.demo import demo
from scheduler.commands.schedule import schedule
from scheduler.commands.worker import worker

COMMANDS: list[click.Command] = [worker, schedule, demo]
