"""The operators' command line: thin Typer adapters over the domain services."""
