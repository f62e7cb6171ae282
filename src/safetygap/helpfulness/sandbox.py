"""Run model-written Python in a separate, limited, throw-away process (docs/sandbox.md).

Layers, strongest first, chosen once per host by a probe (`isolation()` says which are active):
namespaces via util-linux `unshare` (network, pid, ipc, mount + a read-only chroot holding only the
interpreter and system libraries, a size-capped tmpfs folder), a fresh uid of its own when we are
root, no capabilities, and always: resource limits, a minimal environment, a fresh folder, a wall
clock, an output cap and a SIGKILL for everything the program started.
"""

import functools
import json
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass, fields

from safetygap.errors import Problems

# The first program the sandbox runs (inside the namespaces, if any): a fresh single-threaded
# interpreter, so nothing runs between fork and exec in the host (no preexec_fn). It builds the
# chroot, drops privileges, sets the limits, then execs the program (forking it first when it has
# to stay as the pid namespace's init).
_LAUNCHER = r"""
import contextlib, ctypes, fcntl, json, os, resource, signal, socket, struct, sys
cfg = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
RDONLY, NOSUID, NODEV, NOEXEC, REMOUNT, BIND, REC = 1, 2, 4, 8, 32, 4096, 16384

def mount(src, dst, fs=None, flags=0, data=None):
    enc = lambda s: s.encode() if s else None
    if libc.mount(enc(src), enc(dst), enc(fs), ctypes.c_ulong(flags), enc(data)):
        raise OSError(ctypes.get_errno(), "mount " + dst)

def readonly(path, flags=RDONLY | NOSUID | NODEV):  # this mount and all mounts below it
    attr = (ctypes.c_uint64 * 4)(flags, 0, 0, 0)  # mount_setattr(2), AT_RECURSIVE
    if libc.syscall(442, -100, path.encode(), 0x8000, attr, 32):
        mount(None, path, None, REMOUNT | BIND | flags)

code = open("main.py", "rb").read()
if cfg["chroot"]:
    new = os.getcwd()  # a tmpfs over the host's folder becomes the new root
    mount("tmpfs", new, "tmpfs", NOSUID | NODEV, "size=1m,mode=0755")
    for path in cfg["binds"]:
        os.makedirs(os.path.dirname(new + path), exist_ok=True)
        if os.path.islink(path):
            os.symlink(os.readlink(path), new + path)
            continue
        os.mkdir(new + path)
        mount(path, new + path, None, BIND | REC)
        readonly(new + path)
    os.mkdir(new + "/dev")
    for dev in ("null", "zero", "random", "urandom"):
        open(new + "/dev/" + dev, "w").close()
        mount("/dev/" + dev, new + "/dev/" + dev, None, BIND)
        readonly(new + "/dev/" + dev, RDONLY | NOSUID)
    os.symlink("/tmp", new + "/dev/shm")
    os.mkdir(new + "/tmp")
    owner = f",uid={cfg['uid']},gid={cfg['uid']}" if cfg["uid"] else ""
    mount("tmpfs", new + "/tmp", "tmpfs", NOSUID | NODEV, f"size={cfg['file_mb']}m,mode=700{owner}")
    os.mkdir(new + "/proc")
    try:  # read-only: no writes to /proc/sys; optional (refused in some containers)
        mount("proc", new + "/proc", "proc", RDONLY | NOSUID | NODEV | NOEXEC)
    except OSError:
        pass
    with open(new + "/tmp/main.py", "wb") as f:
        f.write(code)
    mount(None, new, None, REMOUNT | RDONLY | NOSUID | NODEV)
    os.chroot(new)
    os.chdir("/tmp")
    with socket.socket() as s, contextlib.suppress(OSError):  # loopback up: SIOC[GS]IFFLAGS
        flags = fcntl.ioctl(s, 0x8913, struct.pack("16sH14x", b"lo", 0))[16:18]
        fcntl.ioctl(s, 0x8914, struct.pack("16sH14x", b"lo", struct.unpack("H", flags)[0] | 1))
fd = cfg["status_fd"]
pid = os.fork() if fd is not None else 0
if pid:  # pid 1 of the namespace: reap all, report the program's wait status; the rest then dies
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # init ignores signals it does not handle
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: the program cannot ptrace it
    while (child := os.wait())[0] != pid:
        pass
    os.write(fd, str(child[1]).encode())
    os._exit(0)
if fd is not None:
    os.close(fd)
if os.geteuid() == 0:  # no capabilities after exec (PR_CAPBSET_DROP, SECBIT_NOROOT + its lock)
    cap = 0
    while libc.prctl(24, cap, 0, 0, 0) == 0:
        cap += 1
    libc.prctl(28, 3, 0, 0, 0)
if cfg["uid"]:
    os.setgroups([])
    os.setgid(cfg["uid"])
    os.setuid(cfg["uid"])
libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
for name, soft in cfg["rlimits"].items():  # CPU: SIGXCPU, then SIGKILL a second later
    resource.setrlimit(getattr(resource, name), (soft, soft + 1 if name == "RLIMIT_CPU" else soft))
os.execv(cfg["python"], [cfg["python"], "-I", "-B", "main.py"])
"""

# name: (low, high) for each limit; see Limits.
_RANGES = {
    "cpu_s": (1, 3600),
    "wall_s": (0.1, 7200),
    "memory_mb": (64, 65536),
    "output_bytes": (1, 100_000_000),
    "processes": (1, 4096),
    "file_mb": (1, 65536),
}


@dataclass(frozen=True)
class Limits:
    """Per-program limits; out of range (see _RANGES) raises UserError naming the field."""

    cpu_s: int = 10  # CPU seconds per process (RLIMIT_CPU)
    wall_s: float = 20  # wall-clock seconds for the whole run
    memory_mb: int = 512  # address space per process (RLIMIT_AS)
    output_bytes: int = 65536  # kept of stdout and of stderr each; more kills the run
    processes: int = 64  # processes and threads at once (RLIMIT_NPROC)
    file_mb: int = 16  # largest file (RLIMIT_FSIZE); with the chroot also the whole folder

    def __post_init__(self):
        wrong = []
        for f in fields(self):
            value, (low, high) = getattr(self, f.name), _RANGES[f.name]
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not low <= value <= high or (f.type is int and value != int(value)):
                kind = "an integer" if f.type is int else "a number"
                wrong.append(f"sandbox limit {f.name}={value!r}: must be {kind} {low}..{high}")
        if wrong:
            raise Problems(wrong)


@dataclass(frozen=True)
class Result:
    """status: ok (exit 0) | error (non-zero exit or signal) | timeout (wall or CPU limit) |
    memory (MemoryError) | output_limit (stdout or stderr passed output_bytes: run killed)."""

    status: str
    returncode: int  # negative: killed by that signal
    stdout: str
    stderr: str
    stdout_capped: bool
    stderr_capped: bool
    wall_s: float
    cpu_s: float
    isolation: tuple[str, ...]


@dataclass(frozen=True)
class _Mode:
    name: str
    prefix: tuple[str, ...]  # the unshare command line, or ()
    chroot: bool
    own_uid: bool  # a fresh uid per run (we are root)
    layers: tuple[str, ...]


_ALWAYS = ("rlimits", "clean-env", "fresh-folder", "group-kill")


def _modes() -> list[_Mode]:
    """The ways a host may run a program, strongest first: the probe takes the first that works."""
    root, unshare = os.geteuid() == 0, shutil.which("unshare")
    ns = (unshare, "--mount", "--net", "--pid", "--ipc", "--fork", "--kill-child")
    in_ns = ("netns", "pidns", "ipcns", "mountns-chroot", "folder-tmpfs", "no-caps")
    nproc = () if root else ("nproc",)  # RLIMIT_NPROC never limits (outside) uid 0
    modes = []
    if unshare and root:
        modes.append(("namespaces", ns, True, True, *in_ns, "own-uid", "nproc"))
    if unshare:
        user = (*ns, "--user", "--map-root-user")
        modes.append(("userns", user, True, False, "userns", *in_ns, *nproc))
    if root:
        modes.append(("own-uid", (), False, True, "own-uid", "nproc"))
    modes.append(("plain", (), False, False, *nproc))
    return [_Mode(*m[:4], (*_ALWAYS, *m[4:])) for m in modes]


@functools.cache
def _mode() -> _Mode:
    """The strongest mode that runs a program on this host (probed once per process)."""
    for mode in _modes():
        if _works(mode):
            return mode
    raise RuntimeError("the sandbox cannot start a Python interpreter on this host")


def _works(mode: _Mode) -> bool:
    try:
        return _run(mode, "print('sandbox-ok')", Limits(), "").stdout == "sandbox-ok\n"
    except OSError:
        return False


def isolation() -> tuple[str, ...]:
    """The layers every run on this host gets (see docs/sandbox.md)."""
    return _mode().layers


def run_python(code: str, limits: Limits = Limits(), stdin: str = "") -> Result:
    """Run `code` as a script in the sandbox, feeding it `stdin`; never raises for its failures."""
    return _run(_mode(), code, limits, stdin)


def overhead(n: int = 10) -> float:
    """Mean wall seconds to run an empty program in the sandbox, interpreter start-up included."""
    _mode()
    start = time.perf_counter()
    for _ in range(n):
        run_python("pass")
    return (time.perf_counter() - start) / n


def _binds() -> list[str]:
    """Read-only paths the chroot shows: system libraries and this interpreter's prefixes."""
    tops = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"]
    exe = os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))
    paths = sorted({p for p in tops if os.path.lexists(p)} | {sys.prefix, sys.base_prefix, exe})
    return [p for p in paths if not any(p.startswith(q + "/") for q in paths)]


def _procs(uid: int | None = None, pgid: int | None = None, zombies: bool = False) -> list[int]:
    """Processes host-wide owned by `uid` or in process group `pgid`; zombies only if asked."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with suppress(OSError), open(f"/proc/{pid}/stat") as f:
            state, _, group = f.read().rsplit(")", 1)[1].split()[:3]
            if state != "Z" or zombies:
                if int(group) == pgid or uid is not None and os.stat(f"/proc/{pid}").st_uid == uid:
                    found.append(int(pid))
    return found


def _threads(uid: int) -> int:
    """Threads owned by `uid`: what RLIMIT_NPROC counts outside a user namespace."""
    n = 0
    for pid in _procs(uid, zombies=True):
        with suppress(OSError):
            n += len(os.listdir(f"/proc/{pid}/task"))
    return n


def _kill(proc: subprocess.Popen, mode: _Mode, uid: int | None) -> None:
    """SIGKILL the program and everything it started; wait (up to 1 s) until they are gone."""
    kids = []  # with a pid namespace: the launcher, its pid 1, whose death kills all the rest
    with suppress(OSError), open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
        kids = [int(k) for k in f.read().split()] if "pidns" in mode.layers else []
    for pid in kids or [-proc.pid]:  # or the process group
        with suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    for _ in range(100):  # the group (and the uid) until empty; unshare goes once pid 1 has gone
        if not (pids := _procs(uid, pgid=proc.pid)):
            break
        for pid in pids:
            if pid != proc.pid or not kids:
                with suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)


def _run(mode: _Mode, code: str, limits: Limits, stdin: str) -> Result:
    uid = 100_000_000 + secrets.randbelow(900_000_000) if mode.own_uid else None
    folder = tempfile.mkdtemp(prefix="safetygap-sandbox-")
    try:
        with open(os.path.join(folder, "main.py"), "w", encoding="utf-8") as f:
            f.write(code)
        if uid:
            os.chown(folder, uid, uid)
        inside = "/tmp" if mode.chroot else folder
        nproc = limits.processes
        if "userns" not in mode.layers and not uid and os.getuid():  # counts all our threads
            nproc += _threads(os.getuid())
        cfg = {
            "chroot": mode.chroot,
            "binds": _binds(),
            "uid": uid,
            "file_mb": limits.file_mb,
            "python": sys.executable,
            "rlimits": {
                "RLIMIT_CPU": int(limits.cpu_s),
                "RLIMIT_AS": limits.memory_mb << 20,
                "RLIMIT_FSIZE": limits.file_mb << 20,
                "RLIMIT_NOFILE": 64,
                "RLIMIT_CORE": 0,
                "RLIMIT_NPROC": nproc,
            },
        }
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": inside}
        env |= {"TMPDIR": inside, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        # with a pid namespace the launcher stays as its pid 1 and reports the program's status
        status_r, status_w = os.pipe() if "pidns" in mode.layers else (None, None)
        cfg["status_fd"] = status_w
        argv = [*mode.prefix, sys.executable, "-I", "-S", "-B", "-c", _LAUNCHER, json.dumps(cfg)]
        with tempfile.TemporaryFile() as stdin_file:
            stdin_file.write(stdin.encode())
            stdin_file.seek(0)
            start = time.monotonic()
            proc = subprocess.Popen(
                argv,
                stdin=stdin_file,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=folder,
                env=env,
                start_new_session=True,
                pass_fds=() if status_w is None else (status_w,),
            )
        if status_w is not None:
            os.close(status_w)
        kill = functools.partial(_kill, proc, mode, uid)
        try:
            with proc.stdout, proc.stderr:
                out, err, reason = _pump(proc, kill, limits, start)
        finally:
            kill()
            with suppress(OSError):
                os.kill(proc.pid, signal.SIGKILL)  # only if it outlived kill()'s wait
            _, status, usage = os.wait4(proc.pid, 0)
            if status_r is not None:  # nothing there: we killed the launcher (or its setup failed)
                with open(status_r) as f:
                    status = int(f.read() or (signal.SIGKILL if reason else status))
            proc.returncode = rc = os.waitstatus_to_exitcode(status)
        wall, cpu = time.monotonic() - start, usage.ru_utime + usage.ru_stime
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    cap = limits.output_bytes
    if reason is None and (rc == -signal.SIGXCPU or rc == -signal.SIGKILL and cpu >= limits.cpu_s):
        reason = "timeout"  # the CPU limit: SIGXCPU, or SIGKILL a second later if that was caught
    if reason is None:
        memory = rc != 0 and b"\nMemoryError" in err[-4096:]
        reason = "ok" if rc == 0 else "memory" if memory else "error"
    text = {"encoding": "utf-8", "errors": "replace"}
    stdout, stderr = out[:cap].decode(**text), err[:cap].decode(**text)
    capped = len(out) > cap, len(err) > cap
    return Result(reason, rc, stdout, stderr, *capped, round(wall, 3), round(cpu, 3), mode.layers)


def _pump(proc, kill, limits: Limits, start: float) -> tuple[bytes, bytes, str | None]:
    """Read stdout and stderr until the program is gone; stop at the wall limit or output cap."""
    bufs = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    deadline, reason, exited = start + limits.wall_s, None, False
    pidfd = os.pidfd_open(proc.pid)  # readable once the program has exited
    with selectors.DefaultSelector() as sel:
        for fd in (*bufs, pidfd):
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        while reason is None and sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                reason = "timeout" if not exited else None
                break
            for key, _ in sel.select(left):
                if key.fd == pidfd:
                    exited = True
                    sel.unregister(pidfd)
                    os.close(pidfd)
                    kill()  # the program is done: what it left behind goes now
                    deadline = time.monotonic() + 0.5  # then take what is still buffered
                    continue
                chunk = os.read(key.fd, 1 << 16)
                bufs[key.fd] += chunk
                if not chunk:
                    sel.unregister(key.fd)
                elif len(bufs[key.fd]) > limits.output_bytes:
                    reason = "output_limit"
    if not exited:
        os.close(pidfd)
    return bytes(bufs[proc.stdout.fileno()]), bytes(bufs[proc.stderr.fileno()]), reason
