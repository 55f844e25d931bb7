"""The one exception type for user mistakes: the CLI prints it as one line, exit code 2."""


class PatccError(Exception):
    """A user-facing error: the message names the thing and what is wrong with it."""
