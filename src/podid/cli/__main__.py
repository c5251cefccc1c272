"""`python -m podid.cli` runs the CLI."""

from podid.cli import main

main()
