"""A full, read-only or forbidden disk as one clear error: the path, the cause, what to do.

``with disk_errors(path, "bronze"):`` around a write turns ``ENOSPC``, ``EDQUOT``, ``EROFS``,
``EACCES`` and ``EPERM`` into :class:`DiskWriteError` (still an ``OSError``, so existing
handlers keep working); any other error passes unchanged. :func:`disk_hint` gives the same
advice for errors that arrive as text (a database engine's message).
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_FULL = (errno.ENOSPC, errno.EDQUOT)
_READ_ONLY = (errno.EROFS,)
_FORBIDDEN = (errno.EACCES, errno.EPERM)
HANDLED = frozenset(_FULL + _READ_ONLY + _FORBIDDEN)
_TEXT = {
    "no space left on device": errno.ENOSPC,
    "disk quota exceeded": errno.EDQUOT,
    "read-only file system": errno.EROFS,
    "permission denied": errno.EACCES,
}


def disk_hint(code: int, folder: str = "SEC_DATA_DIR") -> str:
    """What to do about an errno of :data:`HANDLED`."""
    if code in _FULL:
        return (
            "the disk is full (or over quota): free space there (the bronze_archive asset packs "
            f"old bronze months; bench_out/ can go) or point {folder} at a larger disk, then "
            "run again (nothing half-written was published)"
        )
    if code in _READ_ONLY:
        return (
            f"the file system is read-only: remount it read-write or point {folder} at a "
            "writable folder, then run again"
        )
    return (
        "permission denied: give the user running Dagster write access to it, or point "
        f"{folder} at a folder it owns, then run again"
    )


def errno_in_text(message: str) -> int | None:
    """The errno a message names in words (DuckDB reports I/O errors as text), if handled."""
    low = message.lower()
    return next((code for text, code in _TEXT.items() if text in low), None)


class DiskWriteError(OSError):
    """A write could not be done because of the disk; ``str()`` says where and what to do."""

    def __init__(self, path: Path | str, what: str, cause: OSError) -> None:
        code = cause.errno or errno.EIO
        super().__init__(code, cause.strerror or str(cause), str(path))
        self.path = Path(path)
        self.what = what
        self.message = (
            f"cannot write {what} at {path}: {cause.strerror or cause} "
            f"[errno {code}]; {disk_hint(code)}"
        )

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # type: ignore[no-untyped-def]  # picklable across processes
        return (_rebuild, (str(self.path), self.what, self.errno, self.strerror))


def _rebuild(path: str, what: str, code: int, strerror: str) -> DiskWriteError:
    return DiskWriteError(path, what, OSError(code, strerror))


@contextmanager
def disk_errors(path: Path | str, what: str) -> Iterator[None]:
    """Re-raise a disk error inside the block as :class:`DiskWriteError` naming ``path``."""
    try:
        yield
    except DiskWriteError:
        raise
    except OSError as exc:
        if exc.errno in HANDLED:
            raise DiskWriteError(path, what, exc) from exc
        raise
