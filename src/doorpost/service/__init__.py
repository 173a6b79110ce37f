"""Use cases shared by the HTTP API, the CLI and (later) the owner console."""
