"""The crawler's commands, one module per command (or group); `scheduler.cli` registers them."""
