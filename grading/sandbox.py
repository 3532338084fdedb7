"""Run each submission's kernel in a sandbox while nbgrader autogrades it.

nbgrader starts one kernel per submission through the kernel manager named by
``--Execute.kernel_manager_class``; :class:`SandboxKernelManager` (``make grade`` uses it) wraps the
kernel's command in this file's launcher, which sets the resource limits and starts the kernel under
bubblewrap (``bwrap``, Linux namespaces). The kernel then

- has its own network namespace: loopback only, no route out, not even to the host's 127.0.0.1;
- sees only the operating system, Python, the course's ``.venv``, ``src/`` and ``datasets/`` (read
  only) and its own submission folder (read-write): not ``solutions/``, the gradebook, other
  submissions, the instructor's home or ``/etc/shadow``; its environment is cleared (no tokens);
- has its own PID namespace: every process it starts dies with it;
- is held to a wall time, an address-space limit (``RLIMIT_AS``) and a file-size limit
  (``RLIMIT_FSIZE``).

It talks to nbgrader over Unix sockets (ZeroMQ ``ipc``) in a private folder, because TCP on the
host's loopback is out of reach from its own network namespace.

Environment: ``SANDBOX`` = ``refuse`` (default: sandbox, or refuse to grade where bubblewrap is
missing), ``degrade`` (limits only where bubblewrap is missing, said once), ``off`` (no sandbox);
``SANDBOX_WALL`` (seconds per submission, default 900), ``SANDBOX_MEMORY`` and ``SANDBOX_FSIZE``
(bytes, or with a ``K``/``M``/``G`` suffix; defaults 4G and 256M).

    python grading/sandbox.py check                      # what this machine can enforce
    python grading/sandbox.py run --rw DIR -- CMD...     # run CMD as a sandboxed kernel would run
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODES = ("refuse", "degrade", "off")
DEFAULTS = {"SANDBOX_WALL": "900", "SANDBOX_MEMORY": "4G", "SANDBOX_FSIZE": "256M"}
#: Environment variables a kernel keeps; everything else (tokens, credentials) is dropped.
KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONHASHSEED", "PYTHONWARNINGS",
            "PYTHONDONTWRITEBYTECODE", "MPLBACKEND")  # not JPY_PARENT_PID: pids differ inside
#: Read-only system folders (those that exist are bound).
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/opt/conda")
#: Files inside bound system folders that hold secrets.
SECRETS = ("/etc/shadow", "/etc/gshadow", "/etc/ssh", "/etc/sudoers", "/etc/sudoers.d")
UNAVAILABLE = ("sandbox: bubblewrap (bwrap) is not available on this machine{why}, so student code would run "
               "with your permissions, files and network. Install it (Debian/Ubuntu: apt-get install bubblewrap), "
               "or choose: SANDBOX=degrade (time, memory and file-size limits only) or SANDBOX=off (no isolation).")


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up here and ``SANDBOX=refuse`` asks to stop rather than grade unsafely."""


def mode() -> str:
    """The instructor's choice, from ``SANDBOX`` (``refuse`` when unset)."""
    value = os.environ.get("SANDBOX", "refuse").strip().lower() or "refuse"
    if value not in MODES:
        raise SandboxUnavailable(f"SANDBOX={value!r} is not one of {', '.join(MODES)}; unset it to sandbox")
    return value


def size(text: str) -> int:
    """Bytes from ``'4G'``, ``'256M'``, ``'512K'`` or a plain number."""
    text = text.strip().upper()
    scale = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
    return int(float(text.rstrip("KMG")) * scale)


def limits() -> dict[str, float]:
    """Wall seconds, address-space bytes and file-size bytes, from the environment or the defaults."""
    get = {k: os.environ.get(k) or v for k, v in DEFAULTS.items()}
    return {"wall": float(get["SANDBOX_WALL"]), "memory": size(get["SANDBOX_MEMORY"]),
            "fsize": size(get["SANDBOX_FSIZE"])}


def bwrap() -> str | None:
    """The path of a working bubblewrap, or ``None`` (not installed, or namespaces are refused here)."""
    found = shutil.which("bwrap")
    if not found or not sys.platform.startswith("linux"):
        return None
    probe = subprocess.run([found, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "--die-with-parent",
                            "true"], capture_output=True)
    return found if probe.returncode == 0 else None


def bwrap_args(rw: list[str], cwd: str) -> list[str]:
    """bubblewrap's arguments: the read-only allowlist, the read-write folders, fresh namespaces."""
    args = ["--die-with-parent", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--clearenv"]
    for folder in SYSTEM:
        args += ["--ro-bind-try", folder, folder]
    for secret in SECRETS:
        if Path(secret).exists():
            args += (["--tmpfs", secret] if Path(secret).is_dir() else ["--ro-bind", "/dev/null", secret])
    python = {sys.base_prefix, sys.prefix, str(ROOT / ".venv")}
    for folder in [*sorted(python), str(ROOT / "src"), str(ROOT / "datasets")]:
        args += ["--ro-bind-try", folder, folder]
    for folder in [*rw, cwd]:
        args += ["--bind", folder, folder]
    for name in KEEP_ENV:
        if name in os.environ:
            args += ["--setenv", name, os.environ[name]]
    args += ["--setenv", "HOME", "/tmp", "--setenv", "MPLCONFIGDIR", "/tmp/matplotlib",
             "--setenv", "MLCHECKUP_RUN_DIR", "/tmp/mlcheckup", "--chdir", cwd]
    return args


def set_limits(memory: int, fsize: int) -> None:
    """Apply the address-space and file-size limits to this process and what it starts."""
    import resource

    for which, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_FSIZE, fsize)):
        resource.setrlimit(which, (value, value))


def run(cmd: list[str], rw: list[str]) -> int:
    """Run ``cmd`` as a sandboxed kernel (the launcher's body); return its exit status."""
    chosen, found, lim = mode(), bwrap(), limits()
    if chosen == "off":
        return subprocess.call(cmd)
    if not found:
        line = UNAVAILABLE.format(why="" if sys.platform.startswith("linux") else f" ({sys.platform})")
        if chosen == "refuse":
            print(line, file=sys.stderr)
            return 3
        cmd_run = cmd
    else:
        cmd_run = [found, *bwrap_args(rw, os.getcwd()), *cmd]
    signal.signal(signal.SIGINT, lambda *_: None)  # nbgrader interrupts the kernel by message, not by signal
    child = subprocess.Popen(cmd_run, preexec_fn=lambda: set_limits(int(lim["memory"]), int(lim["fsize"])))
    try:
        return child.wait(timeout=lim["wall"])
    except subprocess.TimeoutExpired:
        print(f"sandbox: this submission ran longer than SANDBOX_WALL={lim['wall']:g} s and was stopped",
              file=sys.stderr)
        child.kill()
        return child.wait()


def check() -> str:
    """One line: what the sandbox enforces on this machine in the current mode; raises if it refuses."""
    chosen, lim = mode(), limits()
    shown = f"wall {lim['wall']:g} s, memory {lim['memory'] / 2**30:g} GiB, files {lim['fsize'] / 2**20:g} MiB"
    if chosen == "off":
        return "sandbox: OFF (SANDBOX=off): student code runs with your permissions, files and network"
    if bwrap():
        return f"sandbox: bubblewrap (no network, private files and processes), {shown}"
    line = UNAVAILABLE.format(why="" if sys.platform.startswith("linux") else f" ({sys.platform})")
    if chosen == "refuse":
        raise SandboxUnavailable(line)
    return f"sandbox: DEGRADED (SANDBOX=degrade): limits only ({shown}); no network or file isolation"


@functools.cache
def _kernel_manager():
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum

    class SandboxKernelManager(AsyncKernelManager):
        """A kernel manager whose kernels start in the sandbox and talk over private Unix sockets."""

        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        async def _async_pre_start_kernel(self, **kw):
            self._sandbox_dir = tempfile.mkdtemp(prefix="mlcheckup-kernel-")
            self.connection_file = os.path.join(self._sandbox_dir, "kernel.json")
            self.ip = os.path.join(self._sandbox_dir, "ipc")
            self.kernel_spec.interrupt_mode = "message"  # a signal would stop at the sandbox's boundary
            return await super()._async_pre_start_kernel(**kw)

        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            return [sys.executable, str(Path(__file__).resolve()), "run", "--rw", self._sandbox_dir, "--", *cmd]

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            shutil.rmtree(getattr(self, "_sandbox_dir", ""), ignore_errors=True)

    return SandboxKernelManager


def __getattr__(name: str):
    if name == "SandboxKernelManager":  # built lazily: importing this file must not need jupyter_client
        return _kernel_manager()
    raise AttributeError(name)


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"]:
        try:
            print(check())
        except SandboxUnavailable as error:
            print(error, file=sys.stderr)
            return 3
        return 0
    if argv[:1] == ["run"] and "--" in argv:
        split = argv.index("--")
        options, cmd = argv[1:split], argv[split + 1:]
        rw = [options[i + 1] for i, o in enumerate(options) if o == "--rw"]
        return run(cmd, rw)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
