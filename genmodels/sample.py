"""python -m genmodels.sample: the drawing command line (genmodels/cli/sample.py)."""
if __name__ == "__main__":
    from genmodels.cli.sample import cli

    cli()
