"""Debian's package descriptions (English and French), fetched with apt into our own cache.

`apt-get update` runs with `Dir::State::Lists` pointed at `$SAFETYGAP_HOME/debian/lists`, so
the system's own lists stay untouched. A description is a one-line synopsis over a body of
paragraphs; `Description-md5` (of the English text) pairs a French description with its
English original.
"""

import shutil
import subprocess
from pathlib import Path

from safetygap.errors import UserError
from safetygap.home import home


def lists_dir() -> Path:
    return home() / "debian" / "lists"


def fetch(refresh: bool = False) -> Path:
    """The lists folder, after `apt-get update` for English and French translations."""
    folder = lists_dir()
    if not refresh and list(folder.glob("*_i18n_Translation-fr*")):
        return folder
    if shutil.which("apt-get") is None:
        raise UserError("Debian's package descriptions need apt-get (a Debian or Ubuntu system)")
    (folder / "partial").mkdir(parents=True, exist_ok=True)
    cmd = [
        "apt-get",
        "update",
        "-o",
        "Acquire::Languages=en,fr",
        "-o",
        f"Dir::State::Lists={folder}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0 or not list(folder.glob("*_i18n_Translation-fr*")):
        last = (done.stderr.strip().splitlines() or ["no French translation list fetched"])[-1]
        raise UserError(f"apt-get update for package descriptions failed: {last}")
    return folder


def read_list(path: Path) -> str:
    """The text of one (possibly lz4/xz/gz-compressed) list file."""
    data = path.read_bytes()
    if path.suffix == ".lz4":
        try:
            import lz4.frame

            data = lz4.frame.decompress(data)
        except ImportError:
            data = subprocess.run(["lz4", "-dc", str(path)], capture_output=True, check=True).stdout
    elif path.suffix == ".xz":
        import lzma

        data = lzma.decompress(data)
    elif path.suffix == ".gz":
        import gzip

        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")


def parse(text: str, lang: str) -> dict[str, tuple[str, str]]:
    """md5 -> (synopsis, body) for every `Description-<lang>` stanza of a translation list."""
    out: dict[str, tuple[str, str]] = {}
    for stanza in text.split("\n\n"):
        md5, synopsis, body_lines, in_desc = None, None, [], False
        for line in stanza.splitlines():
            if line.startswith("Description-md5:"):
                md5 = line.split(":", 1)[1].strip()
                in_desc = False
            elif line.startswith(f"Description-{lang}:"):
                synopsis = line.split(":", 1)[1].strip()
                in_desc = True
            elif in_desc and line.startswith(" "):
                body_lines.append(line[1:])
            else:
                in_desc = False
        if md5 and synopsis:
            out.setdefault(md5, (synopsis, body(body_lines)))
    return out


def body(lines: list[str]) -> str:
    """Paragraphs of a description body: ' .' separates them, wrapped lines are joined."""
    paragraphs, current = [], []
    for line in lines:
        if line.strip() == ".":
            paragraphs.append(current)
            current = []
        else:
            current.append(line.strip())
    paragraphs.append(current)
    return "\n\n".join(" ".join(p) for p in paragraphs if p)


def descriptions(lang: str) -> dict[str, tuple[str, str]]:
    """md5 -> (synopsis, body) over all fetched lists of one language."""
    folder = fetch()
    out: dict[str, tuple[str, str]] = {}
    for path in sorted(folder.glob(f"*_i18n_Translation-{lang}*")):
        for md5, desc in parse(read_list(path), lang).items():
            out.setdefault(md5, desc)
    if not out:
        raise UserError(f"no {lang} package descriptions in {folder}")
    return out
