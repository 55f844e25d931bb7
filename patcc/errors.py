"""The one exception type for user mistakes: the CLI prints it as one line, exit code 2."""

from xdsl.utils.exceptions import DiagnosticException


class PatccError(DiagnosticException):
    """A user-facing error: the message names the thing and what is wrong with it.

    A DiagnosticException, so plain `xdsl-opt` running a patcc pass prints the message
    instead of a traceback.
    """


def require(module: str, what: str, extra: str) -> None:
    """A one-line error where an optional extra's `module` is missing, before `what` starts
    (not a ModuleNotFoundError traceback minutes into it)."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise PatccError(
            f"{what} needs {module}, which is not installed: pip install 'patcc[{extra}]'"
        )
