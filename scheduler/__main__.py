"""`python -m scheduler` runs the `archivist` command."""

from scheduler.cli import main

main()
