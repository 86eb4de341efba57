"""The collector's objects frozen at load and at exit: what a process owes at its exit still
happens (log files flushed and closed, ``weakref.finalize`` callbacks, temporary folders
removed), the collector walks nothing at exit, and importing the code location leaves what it
loaded out of later collections."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def test_exit_still_flushes_logs_and_runs_finalizers(tmp_path: Path) -> None:
    log, marker = tmp_path / "run.log", tmp_path / "finalized"
    code = f"""
        import atexit, gc, json, logging, tempfile, weakref
        from pathlib import Path

        # Runs after the freeze (atexit is last in, first out): what the exit walks.
        atexit.register(lambda: print(json.dumps([gc.get_freeze_count(), len(gc.get_objects())])))
        from sec_assets.process_gc import skip_collection_at_exit

        handler = logging.FileHandler({str(log)!r})
        logging.getLogger("run").addHandler(handler)
        skip_collection_at_exit()
        skip_collection_at_exit()  # once is enough: a process runs many steps

        class Cycle:
            pass

        kept = Cycle()
        kept.me = kept  # a cycle alive at exit
        weakref.finalize(kept, Path({str(marker)!r}).write_text, "done")
        folder = tempfile.TemporaryDirectory()
        Path(folder.name, "x").write_text("x")
        print(folder.name)
        logging.getLogger("run").warning("last line before exit")
        """
    out = _run(code).stdout.splitlines()
    frozen, walked = json.loads(out[-1])
    assert frozen > 1000 and walked == 0
    assert log.read_text() == "last line before exit\n"
    assert marker.read_text() == "done"
    assert not Path(out[0]).exists()


def test_the_exit_hook_is_registered_once() -> None:
    code = """
        import atexit
        from sec_assets.process_gc import skip_collection_at_exit

        before = atexit._ncallbacks()
        for _ in range(3):
            skip_collection_at_exit()
        print(atexit._ncallbacks() - before)
        """
    assert _run(code).stdout.strip() == "1"


def test_the_loaded_code_location_is_out_of_later_collections() -> None:
    code = """
        import gc
        import sec_assets.definitions

        print(gc.get_freeze_count() > len(gc.get_objects()))
        """
    assert _run(code).stdout.strip() == "True"
