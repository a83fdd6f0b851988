"""The command lines' parsers and main()s; the `python -m genmodels.train|sample|hub` entry points call them."""
