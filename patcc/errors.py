"""The one exception type for user mistakes: the CLI prints it as one line, exit code 2."""

from xdsl.utils.exceptions import DiagnosticException


class PatccError(DiagnosticException):
    """A user-facing error: the message names the thing and what is wrong with it.

    A DiagnosticException, so plain `xdsl-opt` running a patcc pass prints the message
    instead of a traceback.
    """
