"""Run ``difflab`` command lines with a memory cap and a time limit, fast: a fork server.

One helper process (``python capped.py``) imports difflab once, single-threaded; for every command line
it forks a child that caps its address space (``resource.setrlimit(RLIMIT_AS)``, what a ``preexec_fn``
would do), starts its own process group, and calls ``difflab.cli.entry.main(argv)`` with stdout and
stderr on pipes. The helper kills the child's whole group at the time limit. A case costs its own work,
not a fresh interpreter's imports (two seconds each), so a corpus of hundreds of command lines runs in
the default test run.

Protocol: one JSON request per line on stdin ``{"argv": [...], "cwd": "..."}``; one JSON answer per line
on stdout ``{"code", "stdout", "stderr", "seconds", "timed_out"}``.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import subprocess
import sys
import time

MEMORY_CAP = 2 << 30    # bytes of address space a case may add to the helper's (2 GiB)
TIME_LIMIT = 60.0       # seconds; a case still running then is a runaway (killed, reported)


def _address_space() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _child(argv: list[str], cwd: str, out_w: int, err_w: int, cap: int) -> None:
    """In the forked child: cap, redirect, run, exit with the command's code (never returns)."""
    code = 99
    try:
        os.setpgid(0, 0)
        os.chdir(cwd)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 -- the child's whole life
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        from difflab.cli.entry import main

        code = main(argv)
    except BaseException as err:  # noqa: BLE001 -- what escaped main is the finding, shown as such
        import traceback

        sys.stderr.write("ESCAPED main(): " + "".join(traceback.format_exception(err)))
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code if isinstance(code, int) else 98)


def run_case(argv: list[str], cwd: str, cap: int, limit: float) -> dict:
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(out_r)
        os.close(err_r)
        _child(argv, cwd, out_w, err_w, cap)
    os.close(out_w)
    os.close(err_w)
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    open_fds = [out_r, err_r]
    timed_out = False
    while open_fds:
        left = limit - (time.monotonic() - start)
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select(open_fds, [], [], min(left, 1.0))
        for fd in ready:
            data = os.read(fd, 65536)
            if data:
                chunks[fd].append(data)
            else:
                open_fds.remove(fd)
    if timed_out:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    seconds = time.monotonic() - start
    try:  # the child's workers, if any outlived it
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for fd in (out_r, err_r):
        os.close(fd)
    code = os.waitstatus_to_exitcode(status)
    return {"code": code, "stdout": b"".join(chunks[out_r]).decode("utf-8", "replace"),
            "stderr": b"".join(chunks[err_r]).decode("utf-8", "replace"), "seconds": seconds,
            "timed_out": timed_out}


def serve() -> None:
    import difflab.cli.entry  # noqa: F401 -- imported once, before any fork

    cap = _address_space() + MEMORY_CAP
    for line in sys.stdin:
        request = json.loads(line)
        answer = run_case(request["argv"], request.get("cwd", "."), cap, request.get("limit", TIME_LIMIT))
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


class Runner:
    """The test side: start the helper once, send command lines, read answers."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, text=True, bufsize=1)

    def __call__(self, argv: list[str], cwd: str, limit: float = TIME_LIMIT) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"argv": argv, "cwd": cwd, "limit": limit}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the capped-run helper died")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


if __name__ == "__main__":
    serve()
