"""Hostile programs against the sandbox: each is contained and the host is unharmed.

Every test runs once per isolation mode that works on this host (strongest first, see
sandbox._modes); a guarantee that needs a layer the mode lacks is skipped, naming the layer."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import uuid
from pathlib import Path

import pytest

from safetygap.errors import UserError
from safetygap.helpfulness import sandbox
from safetygap.helpfulness.sandbox import Limits

MODES = [m for m in sandbox._modes() if sandbox._works(m)]


@pytest.fixture(params=MODES, ids=[m.name for m in MODES])
def mode(request, monkeypatch):
    monkeypatch.setattr(sandbox, "_mode", lambda: request.param)
    return request.param


def need(mode, *layers, every=True):
    """Skip unless the mode has every one (or, every=False, any one) of `layers`."""
    has = [layer in mode.layers for layer in layers]
    if not (all(has) if every else any(has)):
        pytest.skip(f"mode {mode.name} has {'not all' if every else 'none'} of {layers} here")


def run(code: str, limits: Limits = Limits(), stdin: str = "") -> sandbox.Result:
    return sandbox.run_python(textwrap.dedent(code), limits, stdin)


def tagged(code: str) -> tuple[str, str]:
    """A token, and `code` that first re-execs itself with the token on its command line so that
    it and every process it forks can be found on the host."""
    token = f"sandbox-test-{uuid.uuid4().hex}"
    head = f"""
        import os, sys
        if sys.argv[1:] != [{token!r}]:
            os.execv(sys.executable, [sys.executable, "-I", "main.py", {token!r}])
    """
    return token, textwrap.dedent(head) + textwrap.dedent(code)


def survivors(token: str) -> list[int]:
    """Live processes anywhere on the host whose command line holds `token`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f, open(f"/proc/{pid}/stat") as g:
                cmd, state = f.read(), g.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if token.encode() in cmd and state != "Z":
            found.append(int(pid))
    return found


def host_is_fine():
    assert subprocess.run(["true"], timeout=10).returncode == 0


def test_probe_picks_the_strongest_working_mode():
    assert sandbox.isolation() == MODES[0].layers
    assert {"rlimits", "clean-env", "fresh-folder", "group-kill"} <= set(sandbox.isolation())


def test_normal_program(mode):
    r = run("import sys\nprint(sys.stdin.read().upper())", stdin="hello")
    assert (r.status, r.returncode, r.stdout, r.stderr) == ("ok", 0, "HELLO\n", "")
    assert not r.stdout_capped and not r.stderr_capped
    assert r.isolation == mode.layers


def test_program_that_raises(mode):
    r = run("def f():\n    raise ValueError('boom')\nf()")
    assert (r.status, r.returncode) == ("error", 1)
    assert "Traceback" in r.stderr and "ValueError: boom" in r.stderr
    assert run("import sys\nsys.exit(3)").returncode == 3


def test_folder_is_writable_home_and_tmpdir_then_removed(mode):
    before = set(os.listdir(tempfile.gettempdir()))
    r = run("""
        import os, tempfile
        open("out.txt", "w").write("data")
        print(open("out.txt").read())
        print(os.getcwd() == os.environ["HOME"] == os.environ["TMPDIR"])
        print(os.path.dirname(tempfile.mkstemp()[1]) == os.getcwd())
    """)
    assert (r.status, r.stdout) == ("ok", "data\nTrue\nTrue\n"), r.stderr
    new = set(os.listdir(tempfile.gettempdir())) - before
    assert not [n for n in new if n.startswith("safetygap-sandbox-")]


def test_infinite_loop_hits_the_cpu_limit(mode):
    r = run("while True:\n    pass", Limits(cpu_s=1, wall_s=20))
    assert r.status == "timeout" and r.cpu_s >= 0.9 and r.wall_s < 10, r
    host_is_fine()


def test_sleeper_hits_the_wall_limit(mode):
    r = run("import time\ntime.sleep(60)", Limits(wall_s=1))
    assert r.status == "timeout" and 1 <= r.wall_s < 5, r


def test_fork_bomb_is_bounded_and_leaves_nothing(mode):
    need(mode, "nproc")
    token, code = tagged("""
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """)
    r = run(code, Limits(processes=16, wall_s=1.5))
    assert r.status == "timeout", r
    assert survivors(token) == []
    host_is_fine()


def test_forks_stop_at_the_process_limit_and_are_killed_at_exit(mode):
    need(mode, "nproc")
    token, code = tagged("""
        import time
        n = 0
        while n < 1000:
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            n += 1
        print(n)
    """)
    r = run(code, Limits(processes=10, wall_s=10))
    exact = {"userns", "own-uid"} & set(mode.layers)  # else the limit counts all our threads
    assert r.status == "ok" and 0 < int(r.stdout) < (10 if exact else 20), r
    assert r.wall_s < 5
    assert survivors(token) == []


@pytest.mark.parametrize(
    "code", ["x = bytearray(1 << 31)", "x = []\nwhile True:\n    x.append(bytearray(1 << 20))"]
)
def test_memory_hog_is_stopped(mode, code):
    r = run(code, Limits(memory_mb=128, wall_s=10))
    assert r.status == "memory" and "MemoryError" in r.stderr and r.wall_s < 5, r
    host_is_fine()


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_huge_print_is_capped_and_stopped(mode, stream):
    r = run(
        f"import sys\nwhile True:\n    sys.{stream}.write('x' * 65536)", Limits(output_bytes=1000)
    )
    assert r.status == "output_limit" and r.wall_s < 5, r
    assert getattr(r, stream) == "x" * 1000 and getattr(r, f"{stream}_capped")
    r = run("print('y' * 10**8)", Limits(output_bytes=1000))
    assert r.status == "output_limit" and r.stdout == "y" * 1000 and r.stdout_capped


SLEEPER = """
    import subprocess, sys
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", {token!r}]{detach})
    print("parent done")
"""


def test_background_child_is_killed_when_the_program_ends(mode):
    token = f"sandbox-test-{uuid.uuid4().hex}"
    r = run(SLEEPER.format(token=token, detach=""))
    assert (r.status, r.stdout) == ("ok", "parent done\n") and r.wall_s < 5, r
    assert survivors(token) == []


def test_detached_daemon_is_killed_when_the_program_ends(mode):
    need(mode, "pidns", "own-uid", every=False)
    token = f"sandbox-test-{uuid.uuid4().hex}"
    detach = ", start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL"
    r = run(SLEEPER.format(token=token, detach=detach))
    assert (r.status, r.stdout) == ("ok", "parent done\n") and r.wall_s < 5, r
    assert survivors(token) == []


ATTACKS = """
    import os
    d = {d!r}
    attacks = {{
        "read": lambda: open(d + "/canary.txt").read(),
        "write": lambda: open(d + "/canary.txt", "w").write("pwned"),
        "append": lambda: open(d + "/canary.txt", "a").write("pwned"),
        "chmod": lambda: os.chmod(d + "/canary.txt", 0o600),
        "rename": lambda: os.rename(d + "/canary.txt", d + "/moved.txt"),
        "delete": lambda: os.remove(d + "/canary.txt"),
        "create": lambda: open(d + "/new.txt", "w").write("x"),
        "mkdir": lambda: os.mkdir(d + "/newdir"),
    }}
    for name, attack in attacks.items():
        try:
            attack()
            print(name, "done")
        except OSError as e:
            print(name, "blocked", type(e).__name__)
"""


@pytest.fixture
def host_dir():
    """A folder on the host that the sandbox must not touch: reachable by any uid, to be strict."""
    d = tempfile.mkdtemp(prefix="sandbox-canary-")
    os.chmod(d, 0o755)
    yield Path(d) / "host"
    shutil.rmtree(d)


def canary(d: Path, dir_mode: int, file_mode: int) -> Path:
    d.mkdir()
    (d / "canary.txt").write_text("canary")
    (d / "canary.txt").chmod(file_mode)
    d.chmod(dir_mode)
    return d


def assert_untouched(d, file_mode):
    assert os.listdir(d) == ["canary.txt"]
    assert (d / "canary.txt").read_text() == "canary"
    assert (d / "canary.txt").stat().st_mode & 0o777 == file_mode


def test_world_writable_folder_outside_is_untouched_and_unseen(mode, host_dir):
    need(mode, "mountns-chroot")
    d = canary(host_dir, 0o777, 0o666)
    r = run(ATTACKS.format(d=str(d)))
    assert r.status == "ok" and r.stdout.count("blocked") == 8, r
    assert "read blocked FileNotFoundError" in r.stdout
    assert_untouched(d, 0o666)


def test_owned_folder_outside_is_untouched(mode, host_dir):
    need(mode, "mountns-chroot", "own-uid", every=False)
    d = canary(host_dir, 0o755, 0o644)
    r = run(ATTACKS.format(d=str(d)))
    assert r.status == "ok" and r.stdout.count("blocked") >= 7, r  # reading it may work
    assert "done" not in r.stdout.replace("read done", "")
    assert_untouched(d, 0o644)


def test_file_size_is_capped(mode):
    r = run(
        """
        import os
        f = os.memfd_create("x")
        try:
            while True:
                os.write(f, bytes(1 << 19))
        except OSError as e:
            print(e.errno, os.fstat(f).st_size)
    """,
        Limits(file_mb=1),
    )
    assert (r.status, r.stdout) == ("ok", f"27 {1 << 20}\n"), r  # EFBIG, even for a file in memory


def test_folder_size_is_capped(mode):
    need(mode, "folder-tmpfs")
    code = """
        try:
            for i in range(8):
                open(str(i), "wb").write(bytes(1 << 19))
        except OSError as e:
            print(e.errno)
    """
    r = run(code, Limits(file_mb=2))
    assert (r.status, r.stdout) == ("ok", "28\n"), r  # ENOSPC


def test_no_network(mode):
    need(mode, "netns")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        r = run(f"""
            import socket
            print(sorted(name for _, name in socket.if_nameindex()))
            for host in ("127.0.0.1", "1.1.1.1", "10.0.0.1"):
                try:
                    socket.create_connection((host, {port}), timeout=1)
                    print(host, "connected")
                except OSError:
                    print(host, "blocked")
            s = socket.socket()
            s.bind(("127.0.0.1", {port}))  # the host's port: in use there, not here
            s.listen()
            print("listening")
        """)
        assert r.status == "ok", r
        lines = ["['lo']", "127.0.0.1 blocked", "1.1.1.1 blocked", "10.0.0.1 blocked", "listening"]
        assert r.stdout.splitlines() == lines
        server.setblocking(False)
        with pytest.raises(BlockingIOError):  # nothing reached the host's server
            server.accept()


def test_secret_environment_is_not_passed(mode, monkeypatch):
    secret = f"sk-{uuid.uuid4().hex}"
    monkeypatch.setenv("SAFETYGAP_TEST_API_KEY", secret)
    monkeypatch.setenv("HF_TOKEN", secret)
    r = run("import os\nprint(sorted(os.environ))\nprint(dict(os.environ))")
    assert r.status == "ok" and secret not in r.stdout
    names = ["HOME", "LANG", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "PATH", "TMPDIR"]
    assert r.stdout.splitlines()[0] == str(names)


def test_host_processes_environment_is_unreadable(mode):
    need(mode, "pidns", "own-uid", every=False)
    secret = f"sk-{uuid.uuid4().hex}"
    code = f"""
        import os
        found = 0
        for p in os.listdir("/proc") if os.path.isdir("/proc") else []:
            try:
                with open(f"/proc/{{p}}/environ", "rb") as f:
                    found += {secret.encode()!r} in f.read()
            except OSError:
                pass
        print("found", found)
    """
    env = {**os.environ, "SAFETYGAP_TEST_API_KEY": secret}
    with subprocess.Popen(["sleep", "60"], env=env) as holder:  # a host process holding it
        try:
            r = run(code)
            with open(f"/proc/{holder.pid}/environ") as f:
                assert secret in f.read()  # readable from the host
        finally:
            holder.kill()
    assert (r.status, r.stdout) == ("ok", "found 0\n"), r


def test_host_processes_are_invisible(mode):
    need(mode, "pidns")
    r = run("import os\nprint(os.getpid(), os.getppid(), os.listdir('/proc').count('1'))")
    assert (r.status, r.stdout) == ("ok", "2 1 1\n"), r  # pid 1 is the sandbox's own launcher


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cpu_s", 0),
        ("cpu_s", 1.5),
        ("cpu_s", "10"),
        ("wall_s", -1),
        ("memory_mb", 10**9),
        ("output_bytes", 0),
        ("processes", 0),
        ("file_mb", True),
    ],
)
def test_limit_out_of_range_is_a_user_error(field, value):
    with pytest.raises(UserError, match=f"sandbox limit {field}=") as e:
        Limits(**{field: value})
    assert "\n" not in str(e.value) and ".." in str(e.value)


def test_overhead_is_measured():
    assert 0 < sandbox.overhead(3) < 2


def test_python_is_this_interpreter():
    r = run("import sys\nprint(sys.version_info[:2])")
    assert r.stdout == f"{tuple(sys.version_info[:2])}\n"
