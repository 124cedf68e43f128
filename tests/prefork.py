"""`archivist` commands forked from a Python that has imported their dependencies once.

The suite runs hundreds of real `archivist` commands. A fresh interpreter spends more than a
second of CPU importing Scrapy, Twisted, SQLAlchemy and trafilatura before a command starts:
most of what a small test crawl costs. Here one server process per test process imports them
once (none of archivist's own modules: a command that forgets an import fails as it would
fresh) and forks a child per command. The child runs `python -m scheduler ARGS` itself (runpy)
with its own arguments, environment, working directory, standard streams and signals, and ends
as that interpreter would (threads and executors stopped, atexit handlers run, death by SIGINT
after an uncaught KeyboardInterrupt); the test gets its pid and exit status as from
`subprocess`.

What differs from a fresh interpreter: what was imported before the command began, and what an
interpreter reads from the environment as it starts (PYTHONPATH, PYTHONHASHSEED ...): the
server's. A test about what a command loads, or about the installed console script, starts one
with `subprocess` instead.

Server: `python -m tests.prefork LISTENING_FD PARENT_PID`, run by `Prefork.start`.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import importlib
import json
import locale
import os
import runpy
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
MAX_REQUEST = 1 << 20  # bytes: arguments and environment of one command
ARCHIVIST = frozenset({"crawler", "store", "scheduler", "migrations"})
OURS = ARCHIVIST | {"tests", "__main__"}
COMMAND_MODULES = (  # what the commands need, crawls and readings included
    "scheduler.cli",
    "store.cli",
    "crawler.cli.fetch",
    "crawler.cli.extract",
    "crawler.cli.sources",
    "crawler.cli.crawl",
    "crawler.cli.reprocess",
    "scheduler.commands.worker",
    "scheduler.commands.schedule",
    "crawler.crawl",
    "crawler.reading",
    "crawler.reader_pool",
    "crawler.pages.registry",  # the extractor, which the first reading loads
    "crawler.pages.decoding",
    "alembic.command",
    "alembic.config",
    "alembic.script",
    "alembic.runtime.migration",
)
NEVER_PRELOADED = frozenset({"twisted.internet.reactor"})  # importing it installs a reactor


# --- the test's side ------------------------------------------------------------------------


class Command:
    """A running `archivist` command: the parts of subprocess.Popen the tests use."""

    def __init__(
        self, args: Sequence[str], pid: int, status: socket.socket, streams: list[IO[Any] | None]
    ) -> None:
        self.args = list(args)
        self.pid = pid
        self.status = status  # the server writes the exit status here, once the child is reaped
        self.stdin, self.stdout, self.stderr = streams
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.status.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                self._reaped(self.status.recv(64))
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        polled = timeout is not None and timeout <= 0  # a socket timeout of 0 would not say so
        if polled and self.poll() is None:
            raise subprocess.TimeoutExpired(self.args, 0)
        if self.returncode is None:
            self.status.settimeout(timeout)
            try:
                self._reaped(self.status.recv(64))
            except TimeoutError:
                raise subprocess.TimeoutExpired(self.args, timeout or 0) from None
        assert self.returncode is not None
        return self.returncode

    def _reaped(self, message: bytes) -> None:
        if not message:
            raise RuntimeError(f"the prefork server ended before {self.args} did")
        self.returncode = int(message.decode())
        self.status.close()

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:  # never a pid the system may have given to another process
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(
        self, input: str | bytes | None = None, timeout: float | None = None
    ) -> tuple[Any, Any]:
        """Write `input`, read both streams to their end, then wait (as subprocess does)."""
        results: dict[str, Any] = {}
        threads = [threading.Thread(target=self._feed, args=(input,), daemon=True)]
        for name in ("stdout", "stderr"):
            stream = getattr(self, name)
            if stream is not None:
                threads.append(
                    threading.Thread(target=_read_all, args=(stream, results, name), daemon=True)
                )
        for thread in threads:
            thread.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in threads:
            thread.join(None if deadline is None else max(0, deadline - time.monotonic()))
            if thread.is_alive():
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
        self.wait(None if deadline is None else max(0, deadline - time.monotonic()))
        return results.get("stdout"), results.get("stderr")

    def _feed(self, input: str | bytes | None) -> None:
        if self.stdin is None:
            return
        with contextlib.suppress(BrokenPipeError):
            if input:
                self.stdin.write(input)
            self.stdin.close()


def _read_all(stream: IO[Any], results: dict[str, Any], name: str) -> None:
    with stream:
        results[name] = stream.read()


class Prefork:
    """The server process of this test process, started on first use."""

    def __init__(self) -> None:
        self.server: subprocess.Popen[bytes] | None = None
        self.folder = ""
        self.address = ""
        self.lock = threading.Lock()

    def start(self) -> None:
        folder = self.folder = tempfile.mkdtemp(prefix="archivist-prefork-")
        self.address = os.path.join(folder, "socket")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        listener.bind(self.address)
        listener.listen(64)  # connections wait here while the server imports
        log = open(os.path.join(folder, "server.log"), "wb")  # noqa: SIM115 (the server's)
        self.server = subprocess.Popen(
            [sys.executable, "-m", "tests.prefork", str(listener.fileno()), str(os.getpid())],
            pass_fds=[listener.fileno()],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        listener.close()
        log.close()
        atexit.register(self.stop)

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.kill()
            self.server.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def log_tail(self) -> str:
        """The end of the server's log: why it stopped, when it did."""
        with contextlib.suppress(OSError):
            return Path(self.folder, "server.log").read_text(errors="replace")[-3000:]
        return ""

    def launch(
        self,
        args: Sequence[str],
        env: dict[str, str] | None = None,
        cwd: Path | str | None = None,
        stdin: int | None = subprocess.DEVNULL,
        stdout: int | None = subprocess.PIPE,
        stderr: int | None = subprocess.PIPE,
        text: bool = True,
    ) -> Command:
        """Start `archivist ARGS`; stdin/stdout/stderr: subprocess.PIPE, DEVNULL or None
        (this process's own stream)."""
        if cwd is not None and not os.path.isdir(cwd):  # as subprocess says it, here
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(cwd))
        with self.lock:
            if self.server is not None and self.server.poll() is not None:
                raise RuntimeError(f"the prefork server ended:\n{self.log_tail()}")
            if self.server is None:
                self.start()
        request = {
            "args": list(args),
            "env": dict(os.environ if env is None else env),
            "cwd": str(cwd or os.getcwd()),
        }
        with _child_streams((stdin, stdout, stderr), text) as (theirs, ours):
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            connection.connect(self.address)
            socket.send_fds(connection, [json.dumps(request).encode()], theirs)
        try:
            reply = connection.recv(64).decode()
        except OSError:
            reply = ""
        if not reply.startswith("pid "):
            raise RuntimeError(f"the prefork server started no command:\n{self.log_tail()}")
        return Command(args, int(reply.split()[1]), connection, ours)

    def run(
        self,
        args: Sequence[str],
        env: dict[str, str] | None = None,
        input: str | None = None,
        timeout: float | None = None,
        cwd: Path | str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """subprocess.run(args, capture_output=True, text=True, ...) for `archivist ARGS`."""
        stdin = subprocess.PIPE if input is not None else subprocess.DEVNULL
        command = self.launch(args, env=env, cwd=cwd, stdin=stdin)
        try:
            out, err = command.communicate(input, timeout)
        except subprocess.TimeoutExpired:
            command.kill()
            command.wait()
            raise
        return subprocess.CompletedProcess(list(args), command.returncode or 0, out, err)


@contextlib.contextmanager
def _child_streams(
    wanted: tuple[int | None, int | None, int | None], text: bool
) -> Iterator[tuple[list[int], list[IO[Any] | None]]]:
    """The child's three descriptors, and this side's ends of its pipes (None where none)."""
    theirs: list[int] = []
    ours: list[IO[Any] | None] = []
    to_close: list[int] = []
    for number, how in enumerate(wanted):
        if how == subprocess.PIPE:
            read, write = os.pipe()
            child, mine, mode = (read, write, "w") if number == 0 else (write, read, "r")
            to_close.append(child)
            theirs.append(child)
            ours.append(_stream(mine, mode, text))
        elif how == subprocess.DEVNULL:
            null = os.open(os.devnull, os.O_RDWR)
            to_close.append(null)
            theirs.append(null)
            ours.append(None)
        else:
            theirs.append(number)  # this process's own stream
            ours.append(None)
    try:
        yield theirs, ours
    finally:
        for fd in to_close:
            os.close(fd)


def _stream(fd: int, mode: str, text: bool) -> IO[Any]:
    if not text:
        return open(fd, mode + "b")
    return open(fd, mode, encoding=locale.getpreferredencoding(False))


PREFORK = Prefork()


# --- the server's side ----------------------------------------------------------------------


def serve(listener: socket.socket, parent: int) -> None:
    """Accept commands until the test process ends; fork each, report each exit status.

    In a child, the command's end (SystemExit, or any exception) leaves this function and ends
    the interpreter as it would end `python -m scheduler`: threads and executors stopped,
    atexit handlers run, death by SIGINT after an uncaught KeyboardInterrupt.
    """
    preload()
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(os.pidfd_open(parent), selectors.EVENT_READ, "parent")
    while True:
        for key, _ in selector.select():
            if key.data == "parent":
                return
            if key.data == "accept":
                _start(listener, selector)
            else:
                _report(selector, key)


def preload() -> None:
    """Import what archivist's commands import from other packages, and nothing of archivist's
    own: a command that forgets an import of its own fails here as it would fresh."""
    for name in _their_modules():
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    # A child must start where a fresh interpreter would: no reactor, no thread, no event loop.
    assert "twisted.internet.reactor" not in sys.modules
    assert not any(name.split(".")[0] in ARCHIVIST for name in sys.modules)
    assert threading.active_count() == 1


def _their_modules() -> list[str]:
    """The modules other than archivist's that importing every command loads, in the order
    they were loaded, found in a throwaway interpreter."""
    script = "\n".join(
        ["import importlib, sys", *(f"importlib.import_module({m!r})" for m in COMMAND_MODULES),
         "print('\\n'.join(sys.modules))"]
    )  # fmt: skip
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    names = found.stdout.split()
    return [n for n in names if n.split(".")[0] not in OURS and n not in NEVER_PRELOADED]


def _start(listener: socket.socket, selector: selectors.BaseSelector) -> None:
    connection, _ = listener.accept()
    message, fds, _, _ = socket.recv_fds(connection, MAX_REQUEST, 3)
    pid = os.fork()
    if pid == 0:
        try:
            connection.close()
            _close_server(selector)
            _become(json.loads(message), fds)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        runpy.run_module("scheduler", run_name="__main__", alter_sys=True)
        raise SystemExit(0)  # never reached: the command ends with SystemExit
    for fd in fds:
        os.close(fd)
    connection.send(f"pid {pid}".encode())
    selector.register(os.pidfd_open(pid), selectors.EVENT_READ, (pid, connection))


def _report(selector: selectors.BaseSelector, key: selectors.SelectorKey) -> None:
    pid, connection = key.data
    selector.unregister(key.fileobj)
    os.close(key.fd)
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):  # the test may have stopped listening
        connection.send(str(os.waitstatus_to_exitcode(status)).encode())
    connection.close()


def _close_server(selector: selectors.BaseSelector) -> None:
    """In a child: let go of the listening socket, the other commands' and the parent's watch."""
    for key in list(selector.get_map().values()):
        if isinstance(key.data, tuple):
            key.data[1].close()
        if isinstance(key.fileobj, socket.socket):
            key.fileobj.close()
        else:
            os.close(key.fd)
    selector.close()


def _become(request: dict[str, Any], fds: list[int]) -> None:
    """In a child: take the command's streams, directory, environment and arguments."""
    for target, fd in zip((0, 1, 2), fds, strict=True):
        if fd != target:
            os.dup2(fd, target)
            os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["-m", *request["args"]]  # runpy puts the module's path first, as `-m` does


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])), int(sys.argv[2]))
