"""Drivers that stand beside the code location: the demo, the checks run by ``make check``,
the benchmarks and the accuracy measure. They use ``sec_assets`` and the simulator
(``sec_sim``); Dagster never loads them.
"""
