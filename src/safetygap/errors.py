"""The one error type users see: a clear line on stderr and exit code 2."""

import re

# Whatever `str.splitlines` would break a line at.
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class UserError(Exception):
    """Bad input or environment the user can fix; the CLI prints it as one line, exit 2.

    A line break in the message (a value quoted from the user's file may hold one) is shown
    escaped, so that the message stays one line."""

    def __str__(self) -> str:
        return _LINE_BREAKS.sub(lambda m: ascii(m.group())[1:-1], super().__str__())


# The OSErrors a user fixes by freeing space or fixing permissions, not by reading a traceback.
DISK_ERRNOS = {"ENOSPC", "EDQUOT", "EFBIG", "EROFS", "EACCES", "EPERM"}


def disk_error(e: BaseException) -> str | None:
    """One line for a full disk, a file-size limit or a folder that cannot be written; None for
    any other error."""
    import errno

    if not isinstance(e, OSError) or errno.errorcode.get(e.errno or 0) not in DISK_ERRNOS:
        return None
    name = errno.errorcode[e.errno]
    what = "cannot read or write" if name in ("EACCES", "EPERM") else "cannot write"
    where = f" {e.filename}" if e.filename else ""
    fix = "fix the permissions" if name in ("EACCES", "EPERM", "EROFS") else "free space"
    return (
        f"{what}{where}: {e.strerror or e}. What finished is kept: {fix}, then re-run the "
        "same command to resume"
    )
