"""The garbage collector in a process that loads the code location or runs its steps.

Dagster's import and the loaded code location leave about 200,000 objects the collector tracks,
nearly all of them alive until the process ends, and every full collection walks them again:
about 0.3 CPU s of a month's ``dagster asset materialize`` before and during the run, and about
1 CPU s at its exit, where Python runs full collections over everything only to free memory the
operating system takes back anyway. ``gc.freeze`` moves the objects alive at a point out of
every later collection (they are still freed by reference counting):

- :func:`freeze_loaded`: when the package is first imported (what was loaded before it,
  Dagster's modules) and when the code location's definitions are built;
- :func:`skip_collection_at_exit`: in a process that runs steps, as it exits. Every ``atexit``
  handler still runs (logging's flush and close, ``weakref.finalize`` callbacks such as a
  temporary folder's removal), standard streams are still flushed, and objects freed by
  reference counting are still finalized; only objects left in unreachable cycles are not, and
  a run leaves none that hold data: its warehouse connection is closed when its resources are
  torn down, before RUN_SUCCESS.

Cyclic garbage present at a freeze is never collected: at import time that is a few
temporaries, not worth the full collection that would free them.
"""

from __future__ import annotations

import atexit
import gc
import threading

_exit_hook = threading.Lock()
_registered = False


def freeze_loaded() -> None:
    """Leave every object alive now (modules, definitions) out of later collections."""
    gc.freeze()


def skip_collection_at_exit() -> None:
    """Freeze the collector's objects when this process exits (registered once)."""
    global _registered
    with _exit_hook:
        if not _registered:
            atexit.register(gc.freeze)
            _registered = True
