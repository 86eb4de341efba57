"""The simulator in its own process, so that figures are the collector's alone."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def simulator_process(seed: int = 42) -> Iterator[str]:
    sim = Path(sys.executable).with_name("sec-sim")
    proc = subprocess.Popen(
        [str(sim), "serve", "--port", "0", "--seed", str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if match := re.search(r"(http://\S+)", line):
                yield match.group(1)
                return
        raise RuntimeError("sec-sim did not print its URL")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
