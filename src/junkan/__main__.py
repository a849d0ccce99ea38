"""``python -m junkan`` runs the CLI."""

from junkan.cli import main

main()
