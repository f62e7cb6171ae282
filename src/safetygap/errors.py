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


class Problems(UserError):
    """Every problem found in one pass over a command's input, shown at once: one line for one
    problem, else a heading and a line per problem (each kept to one line)."""

    MAX_SHOWN = 20

    def __init__(self, found: list[str], where: str = ""):
        super().__init__(*found)
        self.found, self.where = list(found), where

    def __str__(self) -> str:
        lines = [_LINE_BREAKS.sub(lambda m: ascii(m.group())[1:-1], p) for p in self.found]
        head = f"{self.where}: " if self.where else ""
        if len(lines) == 1:
            return head + lines[0]
        shown = lines[: self.MAX_SHOWN]
        more = len(lines) - len(shown)
        tail = [f"(and {more} more)"] if more else []
        return f"{head}{len(lines)} problems\n" + "\n".join("  " + p for p in shown + tail)


class Checks:
    """Collect the problems of one validation pass, so that a user hears of all of them before
    any work starts: `checks(fn, *args)` runs a check and keeps its UserError; `done()` raises
    them together as Problems (nothing is raised when every check passed)."""

    def __init__(self, where: str = ""):
        self.where = where
        self.found: list[tuple[str, str]] = []  # (where, problem)

    def __call__(self, check, *args, **kwargs):
        try:
            return check(*args, **kwargs)
        except Problems as e:
            self.found += [(e.where, p) for p in e.found]
        except UserError as e:
            self.found.append(("", str(e)))
        return None

    def add(self, problem: str) -> None:
        self.found.append(("", problem))

    def done(self) -> None:
        """Raise every problem found: under their common place (a config file) when they
        share one, else each with its own."""
        if not self.found:
            return
        places = {w for w, _ in self.found}
        if len(places) == 1:
            problems, where = [p for _, p in self.found], places.pop() or self.where
        else:
            problems, where = [f"{w}: {p}" if w else p for w, p in self.found], self.where
        raise Problems(list(dict.fromkeys(problems)), where)
