"""One collector per (dataset, month): a lock in the SEC client's state store.

Two runs of the same bronze month at once would request every hour twice. The second run
waits for the first, then plans from what the first stored, so each hour is requested once.
The lock is an ``flock`` under ``$SEC_DATA_DIR/state/locks`` by default, a Postgres advisory
lock or a Redis lease with ``SEC_STATE_URL`` (``sec_client/state/``); a killed holder releases
it (the kernel or the server drops it; a Redis lease lapses).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sec_assets.sec_client.state import StateStore
from sec_assets.sec_client.state.file_store import FileStore


def lock_name(dataset: str, month: str) -> str:
    return f"{dataset}-{month}"


def lock_path(state_dir: Path, dataset: str, month: str) -> Path:
    return FileStore(state_dir).lock_path(lock_name(dataset, month))


@contextmanager
def month_lock(
    state: StateStore | Path,
    dataset: str,
    month: str,
    *,
    log: logging.Logger | None = None,
) -> Iterator[bool]:
    """Hold the month's collection lock in ``state`` (a folder: files there); yields whether it
    had to wait for another run."""
    store = FileStore(state) if isinstance(state, Path) else state
    waited = False

    def note_wait() -> None:
        nonlocal waited
        waited = True
        if log is not None:
            log.info(f"{dataset} {month}: another run is collecting this month; waiting")

    with store.lock(lock_name(dataset, month), on_wait=note_wait):
        yield waited
