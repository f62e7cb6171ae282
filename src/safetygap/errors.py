"""The one error type users see: a clear line on stderr and exit code 2."""


class UserError(Exception):
    """Bad input or environment the user can fix; the CLI prints it as one line, exit 2."""
