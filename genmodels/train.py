"""python -m genmodels.train: the training command line (genmodels/cli/train.py)."""
if __name__ == "__main__":
    from genmodels.cli.train import cli

    cli()
