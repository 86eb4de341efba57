"""``make bench``: measured figures, written to ``bench_out/`` and printed."""
