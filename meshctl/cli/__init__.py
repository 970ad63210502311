"""CLI layer: thin typer commands that parse options, call the core and hand results to a renderer."""
