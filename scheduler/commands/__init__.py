"""The scheduler's commands, one module per command; `scheduler.cli` registers them."""
