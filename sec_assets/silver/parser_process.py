"""The second process of a ranged load, which parses months while the first one writes.

Started as ``python -m sec_assets.silver.parser_process`` rather than by ``multiprocessing``: a
spawned child first re-imports the parent's main module (the ``dagster`` command's CLI, a
bench script: a second or more) before it can run anything; this one imports the parser alone
and is ready in about half a second. It does not fork the parent (which holds warehouse
connections and thread pools).

The protocol is pickles over the child's stdin and stdout, answered in order: a request is
``(function name, args)`` for a function of :data:`CALLS`; an answer, its length then its
pickle, is ``("ok", value)`` or ``("error", exception)``. Anything the work
prints goes to stderr (the parent's), never into the answers. End of input ends the child.
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from contextlib import suppress
from typing import IO, Any

#: What the parent may ask for: name -> "module:function" (imported in the child on first use).
CALLS = {
    "spool_month": "sec_assets.silver.ranged:spool_month",
    "describe": "sec_assets.silver.parser_process:describe",
}


class ParserProcessError(RuntimeError):
    """The parser process died or answered something that is not an answer."""


_LENGTH = struct.Struct("<Q")  # the length of each answer, before its pickle

#: How long :meth:`ParserProcess.result` waits for an answer: a month parses in well under a
#: second here; a child silent this long is stuck, and the run fails instead of hanging.
ANSWER_TIMEOUT_S = 600.0


class ParserProcess:
    """A child Python running :func:`main`: :meth:`submit` queues a call, :meth:`result`
    returns the oldest pending one's value (or raises its exception). Use as a context
    manager; leaving it ends the child without waiting for its interpreter to tear down."""

    def __init__(self, *, timeout_s: float = ANSWER_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        # The child resolves imports as the parent does: its sys.path, and not the working
        # directory first (-P), which could hold another checkout.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self._proc = subprocess.Popen(
            [sys.executable, "-P", "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._pending: deque[str] = deque()

    def __enter__(self) -> ParserProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def answering(self) -> bool:
        """Whether the oldest pending call's answer has begun to arrive (or the child ended):
        :meth:`result` will not wait for the child's work."""
        stdout = self._proc.stdout
        assert stdout is not None
        return bool(self._pending) and bool(select.select([stdout.fileno()], [], [], 0)[0])

    def submit(self, call: str, *args: Any) -> None:
        if call not in CALLS:
            raise ValueError(f"not a parser call: {call!r}")
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            pickle.dump((call, args), stdin, protocol=pickle.HIGHEST_PROTOCOL)
            stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise self._died() from exc
        self._pending.append(call)

    def result(self) -> Any:
        if not self._pending:
            raise ValueError("no call pending")
        self._pending.popleft()
        deadline = time.monotonic() + self.timeout_s
        (size,) = _LENGTH.unpack(self._read(_LENGTH.size, deadline))
        try:
            status, value = pickle.loads(self._read(size, deadline))
        except (pickle.UnpicklingError, EOFError, ValueError) as exc:
            raise self._died() from exc
        if status == "error":
            raise value
        return value

    def _read(self, n: int, deadline: float) -> bytes:
        """``n`` bytes of the child's answers, read from the pipe itself (no buffer that
        ``select`` cannot see), or an error when the child dies or stays silent too long."""
        stdout = self._proc.stdout
        assert stdout is not None
        fd, chunks = stdout.fileno(), []
        while n:
            wait = max(deadline - time.monotonic(), 0.0)
            if not select.select([fd], [], [], wait)[0]:
                self._proc.kill()
                raise ParserProcessError(
                    f"the parser process gave no answer within {self.timeout_s:g} s (stopped)"
                )
            chunk = os.read(fd, min(n, 1 << 20))
            if not chunk:
                raise self._died()
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _died(self) -> ParserProcessError:
        try:
            code = self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            code = self._proc.wait()
        return ParserProcessError(
            f"the parser process ended (exit code {code}) before answering; its error, if "
            "any, is above in this run's stderr"
        )

    def close(self) -> None:
        """End of input ends the child; it is reaped in the background (its teardown is not
        the run's to wait for). Calls still pending are dropped."""
        proc = self._proc
        if proc.stdin is not None:
            with suppress(OSError):  # the child died already
                proc.stdin.close()
        if self._pending:  # the parent gave up (an error): no need to let the child finish
            proc.kill()
        if proc.stdout is not None:
            proc.stdout.close()
        threading.Thread(target=proc.wait, name="parser-process-reaper", daemon=True).start()


def describe() -> dict[str, Any]:
    """The child's process id and the top-level packages it has imported (for tests and
    debugging: it must not have imported the parent's main module or Dagster)."""
    return {"pid": os.getpid(), "packages": sorted({m.split(".")[0] for m in sys.modules})}


def _answer(out: IO[bytes], status: str, value: Any) -> None:
    """One answer: its length (8 bytes, little-endian), then its pickle."""
    data = pickle.dumps((status, value), protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_LENGTH.pack(len(data)) + data)
    out.flush()


def _failure(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a plain error carrying its traceback."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        text = "".join(traceback.format_exception(exc))
        return ParserProcessError(f"in the parser process:\n{text}")
    return exc


def main() -> int:
    requests = sys.stdin.buffer
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints go to stderr
    functions: dict[str, Any] = {}
    while True:
        try:
            call, args = pickle.load(requests)
        except EOFError:
            return 0
        try:
            if call not in functions:
                module, name = CALLS[call].split(":")
                functions[call] = getattr(__import__(module, fromlist=[name]), name)
            value = functions[call](*args)
        except Exception as exc:
            _answer(answers, "error", _failure(exc))
            continue
        _answer(answers, "ok", value)


if __name__ == "__main__":
    sys.exit(main())
