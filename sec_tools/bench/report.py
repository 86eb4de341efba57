"""BENCH.md: the bench's figures as short Markdown tables (the ones quoted in the README)."""

from __future__ import annotations

from typing import Any

from sec_tools.bench.conditions import loads


def _bronze(b: dict[str, Any]) -> list[str]:
    lines = [
        "Bronze, one month (2024-08, 744 hours, storm answers) over loopback HTTP:",
        "",
        "| concurrency | fetch s | requests/s | rows | MB on disk | bytes/hour | run wall s / "
        "collector CPU s | load |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['concurrency']} | {r['fetch_seconds']} | {r['requests_per_second']} | "
        f"{r['rows']:,} | {r['bytes_on_disk'] / 1e6:.2f} | {r['bytes_per_hour']:,} | "
        f"{r['materialization_seconds']} / {r.get('cpu_s', '—')} | {loads(r)} |"
        for r in b["runs"]
    ]
    return [*lines, "", f"Collector peak RSS: {b['peak_rss_mb']:.0f} MB.", ""]


def _silver(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "Bronze → silver as ranged runs (12 consecutive months a run, as a backfill runs them: "
        "a year is one run), wall and CPU time (user + sys, this process and its parser); "
        "machine: seconds for a Python loop of 10M additions just before the run (best of 3); "
        "load: the 1-minute load average at the run's start and end:",
        "",
        "| engine | months | raw rows | wall s | CPU s | raw rows/s (wall) | raw rows per CPU s "
        "| write s, first / last month | peak RSS loader / parser | machine s | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in runs:
        first, last = s["write_s_first_last"]
        lines.append(
            f"| {s['engine']} | {s['months']} | {s['raw_rows']:,} | {s['seconds']} | "
            f"{s['cpu_s']} | {s['raw_rows_per_s']:,} | {round(s['raw_rows'] / s['cpu_s']):,} | "
            f"{first:.2f} / {last:.2f} | "
            f"{s['peak_rss_mb']:.0f} / {s['parser_peak_rss_mb']:.0f} MB | "
            f"{s.get('machine_s', '—')} | {loads(s)} |"
        )
    return [*lines, ""]


def _throughput(loads: list[dict[str, Any]]) -> list[str]:
    if not loads:
        return []
    turns = ", the engines taking turns" if len(loads) > 1 else ""
    lines = [
        f"The same months loaded again into new warehouses{turns}: the median run (by wall "
        "time) and every run's raw rows/s (wall), raw rows per CPU s, machine s and load at its "
        "start (the first is the run above):",
        "",
        "| engine | months | runs | median raw rows/s (wall) | median wall s / CPU s | "
        "every run: raw rows/s, per CPU s (machine s, load) |",
        "|---|---|---|---|---|---|",
    ]
    for t in loads:
        m = t["median"]
        each = ", ".join(
            f"{r['raw_rows_per_s']:,}, {round(t['raw_rows'] / r['cpu_s']):,} "
            f"({r['machine_s']}, {r.get('load_start', '—')})"
            for r in t["runs"]
        )
        lines.append(
            f"| {t['engine']} | {t['months']} | {len(t['runs'])} | {m['raw_rows_per_s']:,} | "
            f"{m['seconds']} / {m['cpu_s']} | {each} |"
        )
    return [*lines, ""]


def _flat(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "Cost in history: one month re-loaded as a single-month partition run (fresh process: "
        "the schema ensured, then its silver steps and checks on one kept connection), then "
        "its golden Parquet, and gold over everything, in a warehouse holding 3 months and in "
        "the one holding all, "
        "the two taking turns (median of the alternated runs; every run's wall time in "
        "brackets):",
        "",
        "| engine | month | history | month load wall s / CPU s / peak RSS | its golden Parquet "
        "s | the whole run, its close included, s | gold wall s / CPU s |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in runs:
        labels: tuple[str, ...] = ("small", "whole")
        if s["history"]["small"] == s["history"]["whole"]:  # one warehouse: the quick bench
            labels = ("whole",)
        for label in labels:
            f = s["flat"][label]
            p, g = f["probe"], f["gold"]
            probes = ", ".join(str(x) for x in f.get("probe_runs_s", []))
            golds = ", ".join(str(x) for x in f.get("gold_runs_s", []))
            lines.append(
                f"| {s['engine']} | {p['month']} | {s['history'][label]} months | "
                f"{p['total_s']} / {p['cpu_s']} / {p['peak_rss_mb']:.0f} MB [{probes}] | "
                f"{p.get('golden_s', '—')} | {p.get('run_s', '—')} | "
                f"{g['seconds']} / {g['cpu_s']} [{golds}] |"
            )
    return [*lines, ""]


def _gold(runs: list[dict[str, Any]]) -> list[str]:
    if not runs:
        return []
    ids = list(runs[0]["gold"]["per_payload_s"])
    lines = [
        "Gold, every payload computed and validated over the whole history loaded (seconds):",
        "",
        "| engine | months | all | " + " | ".join(ids) + " |",
        "|---" * (len(ids) + 3) + "|",
    ]
    for s in runs:
        g = s["gold"]
        lines.append(
            f"| {s['engine']} | {s['months']} | {g['seconds']} | "
            + " | ".join(str(g["per_payload_s"][i]) for i in ids)
            + " |"
        )
    return [*lines, ""]


def _accuracy(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "Reconstruction accuracy against the simulator's ground truth:",
        "",
        "| month | samples/day | true outages | found | peak error (median / weighted) | "
        "customer-hours error per region (mean / max / bias) | Σ peaks / true |",
        "|---|---|---|---|---|---|---|",
    ]
    for a in rows:
        lines.append(
            f"| {a['month']} | {a['samples_per_day']} | {int(a['true_outages']):,} | "
            f"{a['found_share']:.1%} | {a['peak_median_rel_error']:+.1%} / "
            f"{a['peak_weighted_abs_rel_error']:.1%} | "
            f"{a['customer_hours_region_mean_abs_rel_error']:.1%} / "
            f"{a['customer_hours_region_max_abs_rel_error']:.1%} / "
            f"{a.get('customer_hours_region_mean_rel_error', 0.0):+.1%} | "
            f"{a.get('peak_sum_ratio', 0.0):.1%} |"
        )
    return [*lines, "", *_shipped(rows)]


def _shipped(rows: list[dict[str, Any]]) -> list[str]:
    """The measured error per cadence beside what gold ships for it (cadence_error.csv)."""
    from sec_assets.gold.cadence import ERROR, cadence_errors
    from sec_tools.bench.accuracy import cadence_table

    errors = cadence_errors()
    shipped = dict(zip(errors["hours_per_day"], errors[ERROR], strict=True))
    lines = [
        "Customer-hours error per region by cadence, measured here and shipped to gold "
        "(sec_assets/seeds/cadence_error.csv, docs/cadence.md):",
        "",
        "| samples/day | measured (mean / max) | shipped (mean) |",
        "|---|---|---|",
    ]
    for c in cadence_table(rows).iter_rows(named=True):
        ship = shipped.get(c["hours_per_day"])
        lines.append(
            f"| {c['hours_per_day']} | {c[ERROR]:.1%} / "
            f"{c['customer_hours_region_max_abs_rel_error']:.1%} | "
            + (f"{ship:.1%} |" if ship is not None else "not shipped |")
        )
    return lines


def markdown(report: dict[str, Any]) -> str:
    runs = report["silver"]
    lines = [f"Mode: {report['mode']}.", ""]
    lines += _bronze(report["bronze"]) + _silver(runs) + _throughput(report.get("throughput", []))
    lines += _flat(runs) + _gold(runs)
    lines += _accuracy(report["accuracy"])
    return "\n".join(lines) + "\n"
