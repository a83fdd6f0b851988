"""The Hugging Face Hub: push and pull model folders (client), the ModelHubMixin class (model) and
the Hub's errors as sentences (errors). `python -m genmodels.hub` runs the command line."""
