"""The parser process of a ranged load (``sec_assets/silver/parser_process.py``): a real child
Python. Its answers come back in order, its errors reach the parent as errors, its death is a
clear error rather than a hang, and it does not import the parent's main module."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from sec_assets.month import Month
from sec_assets.silver.parser_process import ParserProcess, ParserProcessError

CAPS = pl.DataFrame(schema={"cut_region": pl.Int32, "customers": pl.Int64})


def test_answers_come_back_in_order_and_errors_as_errors(tmp_path: Path) -> None:
    with ParserProcess() as parser:
        parser.submit("describe")
        # A month with no bronze parses to an empty month; a bad argument fails in the child.
        parser.submit("spool_month", tmp_path, Month(2024, 7), CAPS, 24, tmp_path)
        parser.submit("spool_month", tmp_path, "not a month", CAPS, 24, tmp_path)
        parser.submit("describe")
        first = parser.result()
        assert first["pid"] != os.getpid()
        empty = parser.result()
        assert (empty.month, empty.raw_rows) == (Month(2024, 7), 0)
        assert (tmp_path / "2024-07.facts.arrow").exists()
        with pytest.raises(Exception) as err:  # the child's own exception, unpickled
            parser.result()
        assert not isinstance(err.value, ParserProcessError)
        last = parser.result()
        assert last["pid"] == first["pid"]  # the child survived its error
        assert "dagster" not in last["packages"], "parsing a month needs no Dagster"
        assert parser.pending == 0
        with pytest.raises(ValueError, match="no call pending"):
            parser.result()
        with pytest.raises(ValueError, match="not a parser call"):
            parser.submit("os.system", "true")


def test_a_dead_child_is_an_error_not_a_hang() -> None:
    with ParserProcess() as parser:
        parser.submit("describe")
        pid = parser.result()["pid"]
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(ParserProcessError, match="exit code -9"):
            parser.submit("describe")
            parser.result()


MAIN = """
import sys
from pathlib import Path

if __name__ != "__main__":  # imported by a child (multiprocessing's spawn does this)
    Path(sys.argv[1] if len(sys.argv) > 1 else "imported").write_text(__name__)

if __name__ == "__main__":
    from sec_assets.silver.parser_process import ParserProcess

    with ParserProcess() as parser:
        parser.submit("describe")
        print(sorted(parser.result()["packages"]))
"""


def test_the_child_does_not_import_the_parents_main_module(tmp_path: Path) -> None:
    script = tmp_path / "heavy_main.py"
    script.write_text(MAIN)
    out = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert not (tmp_path / "imported").exists(), "the child re-imported the parent's main"
    assert "'sec_assets'" in out, out


def test_a_silent_child_is_an_error_after_the_timeout() -> None:
    with ParserProcess(timeout_s=1.0) as parser:
        parser.submit("describe")
        pid = parser.result()["pid"]
        os.kill(pid, signal.SIGSTOP)  # it cannot answer now, whatever the machine's speed
        parser.submit("describe")
        with pytest.raises(ParserProcessError, match="no answer within 1 s"):
            parser.result()
