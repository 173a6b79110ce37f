"""The `doorpost` operator CLI (typer): one module per command group."""
