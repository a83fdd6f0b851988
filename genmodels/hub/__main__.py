"""python -m genmodels.hub: push and pull models (genmodels/cli/hub.py)."""
from genmodels.cli.hub import cli

cli()
