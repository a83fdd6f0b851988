"""The base of every error a user can cause. Its message is one sentence they can act on; the UI and
the CLI show it as it is, with no traceback. Anything else escaping is a bug in Latent Studio."""


class StudioError(ValueError):
    """A user-caused problem (bad file, bad setting, missing model) with a one-sentence message."""
