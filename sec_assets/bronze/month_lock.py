"""One collector per (dataset, month): a file lock under ``$SEC_DATA_DIR/state/locks``.

Two runs of the same bronze month at once would request every hour twice. The second run
waits for the first, then plans from what the first stored, so each hour is requested once.
The lock is an ``flock``: the kernel releases it when a killed process dies.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sec_assets.files import file_lock


def lock_path(state_dir: Path, dataset: str, month: str) -> Path:
    return Path(state_dir) / "locks" / f"{dataset}-{month}.lock"


@contextmanager
def month_lock(
    state_dir: Path, dataset: str, month: str, *, log: logging.Logger | None = None
) -> Iterator[bool]:
    """Hold the month's collection lock; yields whether it had to wait for another run."""
    waited = False

    def note_wait() -> None:
        nonlocal waited
        waited = True
        if log is not None:
            log.info(f"{dataset} {month}: another run is collecting this month; waiting")

    with file_lock(lock_path(state_dir, dataset, month), on_wait=note_wait):
        yield waited
