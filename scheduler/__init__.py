"""The long-running worker and the `archivist` command root."""
