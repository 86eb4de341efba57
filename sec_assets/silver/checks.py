"""Asset checks on the stored silver tables, the same SQL on DuckDB and Postgres.

Each check is a query that selects the offending rows of the partition's month; the result
says how many there are and shows a few. Checks that protect gold are blocking. They are
declared on their assets (``check_specs``) and evaluated in the asset's own step right after
the month is stored (``check_results``): a month's run pays no process per check, and a failed
blocking check still fails the step, so nothing downstream of it runs. The same checks also
run alone on stored months, without reloading them (``silver/checks_alone.py``).

A blocking check fails only on what the pipeline itself got wrong (null keys, broken
references, duplicate keys, lost hours, totals the guardrails guarantee); a value the service
got wrong is capped or quarantined and counted by the guardrails (``silver/guardrails.py``).
"""

import warnings
from collections.abc import Collection
from dataclasses import dataclass

import dagster as dg

from sec_assets.partitions import monthly_partitions
from sec_assets.silver import national
from sec_assets.silver.month_checks import record_verdicts
from sec_assets.silver.needs import Need, examined_and_selected, guarded

SAMPLE = 5


@dataclass(frozen=True)
class SqlCheck:
    name: str
    asset: str
    description: str
    #: What the check examines; with none of it for the month the check fails or warns
    #: instead of passing (``silver/needs.py``). Required: no check can forget it.
    needs: Need
    sql: str  # selects offending rows; may use :month and :min_coverage
    blocking: bool = True
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR
    #: Reads other months' rows too (the engine must not narrow it to the month's tables).
    across_months: bool = False


OBSERVATIONS = Need(
    "the month's observations (silver.fact_interrupciones)",
    "SELECT hash_id FROM silver.fact_interrupciones WHERE month = :month",
)
CAPPED = Need(
    "the month's observations in a region with the customer counts its cap used "
    "(silver.customer_caps)",
    """SELECT f.hash_id FROM silver.fact_interrupciones f
       JOIN silver.dim_geografia g ON g.geografia_id = f.geografia_id
       JOIN silver.customer_caps c ON c.month = f.month AND c.cut_region = g.cut_region
       WHERE f.month = :month""",
)
LEDGER = Need(
    "the month's hours in the ledger (silver.snapshot_ledger)",
    "SELECT hour_key FROM silver.snapshot_ledger WHERE month = :month",
)
EPISODES = Need(
    "an episode starting in the month (silver.fact_eventos)",
    "SELECT evento_id FROM silver.fact_eventos WHERE month = :month",
)

CHECKS = [
    SqlCheck(
        "keys_and_measures_not_null",
        "fact_interrupciones",
        "No nulls in the keys and measures of the month's observations.",
        OBSERVATIONS,
        """SELECT hash_id, hour_key FROM silver.fact_interrupciones WHERE month = :month AND (
             hash_id IS NULL OR hour_key IS NULL OR tiempo_id IS NULL OR geografia_id IS NULL
             OR empresa_id IS NULL OR clientes_afectados IS NULL OR clientes_afectados < 0)""",
    ),
    SqlCheck(
        "every_foreign_key_resolves",
        "fact_interrupciones",
        "Every observation's comuna, company, date and hour exist in the dimensions and ledger.",
        OBSERVATIONS,
        """SELECT f.hash_id, f.geografia_id, f.empresa_id, f.tiempo_id, f.hour_key
           FROM silver.fact_interrupciones f
           LEFT JOIN silver.dim_geografia g ON g.geografia_id = f.geografia_id
           LEFT JOIN silver.dim_empresa e ON e.empresa_id = f.empresa_id
           LEFT JOIN silver.dim_tiempo t ON t.tiempo_id = f.tiempo_id
           LEFT JOIN silver.snapshot_ledger l ON l.hour_key = f.hour_key
           WHERE f.month = :month AND (g.geografia_id IS NULL OR e.empresa_id IS NULL
             OR t.tiempo_id IS NULL OR l.hour_key IS NULL)""",
    ),
    SqlCheck(
        "hash_id_unique",
        "fact_interrupciones",
        "hash_id (md5 of the natural key) is unique.",
        OBSERVATIONS,
        """SELECT hash_id, COUNT(*) AS n FROM silver.fact_interrupciones WHERE month = :month
           GROUP BY hash_id HAVING COUNT(*) > 1""",
    ),
    SqlCheck(
        "customers_within_region_total",
        "fact_interrupciones",
        "In no hour do a region's affected customers exceed the region's customers (the counts "
        "the month's cap used, silver.customer_caps): the guardrails cap what the service "
        "over-reports, so a failure is a pipeline bug.",
        CAPPED,
        # Against the counts the cap used (silver.customer_caps), whichever month they are of.
        """SELECT f.hour_key, g.cut_region, SUM(f.clientes_afectados) AS affected,
                  MAX(c.customers) AS customers, MAX(c.as_of) AS customers_as_of
           FROM silver.fact_interrupciones f
           JOIN silver.dim_geografia g ON g.geografia_id = f.geografia_id
           JOIN silver.customer_caps c ON c.month = f.month AND c.cut_region = g.cut_region
           WHERE f.month = :month
           GROUP BY f.hour_key, g.cut_region
           HAVING SUM(f.clientes_afectados) > MAX(c.customers)""",
    ),
    SqlCheck(
        "month_coverage_above_threshold",
        "snapshot_ledger",
        "The share of the month's hours with a usable answer is at least SEC_MIN_MONTH_COVERAGE.",
        LEDGER,
        """SELECT month, COUNT(*) AS hours,
                  SUM(CASE WHEN status IN ('ok', 'empty', 'degraded') THEN 1 ELSE 0 END) AS usable
           FROM silver.snapshot_ledger WHERE month = :month GROUP BY month
           HAVING SUM(CASE WHEN status IN ('ok', 'empty', 'degraded') THEN 1 ELSE 0 END)
                  < :min_coverage * COUNT(*)""",
    ),
    SqlCheck(
        "no_degraded_or_empty_hours",
        "snapshot_ledger",
        "Hours whose answer was degraded (comunas collapsed) or empty: reported, not blocking.",
        LEDGER,
        """SELECT hour_key, status, comunas, customers FROM silver.snapshot_ledger
           WHERE month = :month AND status IN ('degraded', 'empty') ORDER BY hour_key""",
        blocking=False,
        severity=dg.AssetCheckSeverity.WARN,
    ),
    SqlCheck(
        "evento_id_unique",
        "fact_eventos",
        "Episode keys are unique.",
        EPISODES,
        """SELECT evento_id, COUNT(*) AS n FROM silver.fact_eventos WHERE month = :month
           GROUP BY evento_id HAVING COUNT(*) > 1""",
    ),
    SqlCheck(
        "episodes_do_not_overlap",
        "fact_eventos",
        "No two episodes of one comuna and company overlap (one episode across months).",
        EPISODES,
        # The month's episodes against those within its span only (each pair once): a self
        # join of the whole table would cost a month's check the square of the history.
        """WITH a AS (SELECT * FROM silver.fact_eventos WHERE month = :month),
                span AS (SELECT MIN(first_hour) AS lo, MAX(last_hour) AS hi FROM a),
                b AS (SELECT e.* FROM silver.fact_eventos e, span
                      WHERE e.last_hour >= span.lo AND e.first_hour <= span.hi)
           SELECT a.evento_id, b.evento_id AS other, a.geografia_id, a.empresa_id
           FROM a JOIN b
             ON a.geografia_id = b.geografia_id AND a.empresa_id = b.empresa_id
            AND a.evento_id <> b.evento_id
            AND a.first_hour <= b.last_hour AND b.first_hour <= a.last_hour
           WHERE b.month <> :month OR a.evento_id < b.evento_id""",
        across_months=True,
    ),
    SqlCheck(
        "episode_measures_are_consistent",
        "fact_eventos",
        "Peak and customer-hours are positive; bounds are ordered; keys resolve.",
        EPISODES,
        """SELECT e.evento_id FROM silver.fact_eventos e
           LEFT JOIN silver.dim_geografia g ON g.geografia_id = e.geografia_id
           LEFT JOIN silver.dim_empresa d ON d.empresa_id = e.empresa_id
           WHERE e.month = :month AND (e.peak_customers <= 0 OR e.customer_hours <= 0
             OR e.first_hour > e.last_hour OR e.start_lower > e.start_upper
             OR e.end_lower > e.end_upper OR g.geografia_id IS NULL OR d.empresa_id IS NULL)""",
    ),
]


def evaluate_check(
    check: SqlCheck, warehouse, month: str, min_coverage: float
) -> tuple[dg.AssetCheckResult, dict[str, object]]:
    """Evaluate one check for one month (reads only): the result, whose metadata carries the
    rows examined, the count and a sample, and the verdict to keep in ``silver.month_checks``.
    With nothing to examine (``check.needs``) the check fails or warns instead of passing.
    The rows examined and the offending rows are counted in one query; the sample is read only
    when some row offends."""
    params = {"month": month, "min_coverage": min_coverage}
    # The month's own tables only (a check costs the month, not the history).
    months = None if check.across_months else [month]
    examined, count = examined_and_selected(warehouse, check.needs, check.sql, params, months)

    def offending(examined: int) -> dg.AssetCheckResult:
        return _offending(check, warehouse, month, params, months, examined, count)

    result = guarded(
        check.name,
        check.asset,
        check.needs,
        check.severity,
        warehouse,
        month,
        params,
        offending,
        months,
        rows_examined=examined,
    )
    verdict: dict[str, object] = {
        "month": month,
        "check_name": check.name,
        "asset": check.asset,
        "blocking": check.blocking,
        "passed": result.passed,
        "failing_rows": count if examined else 0,
    }
    return result, verdict


def _offending(
    check: SqlCheck, warehouse, month: str, params: dict, months, examined: int, count: int
) -> dg.AssetCheckResult:
    rows: list[dict[str, str]] = []
    if count:  # a check that passes has no sample to show
        used = {k: v for k, v in params.items() if f":{k}" in check.sql}
        sql = f"SELECT * FROM ({check.sql}) q LIMIT {SAMPLE}"
        sample = warehouse.read(sql, used, months=months)
        rows = [{k: str(v) for k, v in r.items()} for r in sample.to_dicts()]
    scope = f"{examined} row(s) examined ({check.needs.what})"
    first = ", ".join(f"{k}={v}" for k, v in rows[0].items()) if rows else ""
    description = (
        f"{count} offending row(s) in {month} of {scope}; first: {first}"
        if count
        else f"{month}: none offending, {scope}"
    )
    return dg.AssetCheckResult(
        check_name=check.name,
        asset_key=check.asset,
        passed=count == 0,
        severity=check.severity,
        description=description,
        metadata={
            "failing_rows": dg.MetadataValue.int(count),
            "sample": dg.MetadataValue.json(rows),
        },
    )


def check_specs(*assets: str) -> list[dg.AssetCheckSpec]:
    """The checks of ``assets``, to declare on the asset definition (``check_specs=``).

    Partitioned check specs are a preview in Dagster 1.13, used knowingly (each evaluation is
    recorded against its month); the warning is silenced here, not for the whole process."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return _specs(assets)


def _specs(assets: tuple[str, ...]) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            c.name,
            asset=c.asset,
            description=c.description,
            blocking=c.blocking,
            partitions_def=monthly_partitions,
        )
        for c in CHECKS
        if c.asset in assets
    ]


def evaluate_checks(
    asset: str,
    warehouse,
    month: str,
    min_coverage: float,
    names: Collection[str] | None = None,
) -> tuple[list[dg.AssetCheckResult], list[dict[str, object]]]:
    """Every check of ``asset`` (those in ``names`` when given) for ``month`` (reads only):
    results and verdicts."""
    pairs = [
        evaluate_check(c, warehouse, month, min_coverage)
        for c in CHECKS
        if c.asset == asset and (names is None or c.name in names)
    ]
    return [r for r, _ in pairs], [v for _, v in pairs]


def declared_needs() -> dict[tuple[str, str], Need]:
    """(asset, check name) → what the check examines, for every asset check of the code
    location: the SQL checks here and the national series' cross-check."""
    needs = {(c.asset, c.name): c.needs for c in CHECKS}
    needs[("national_hourly", national.CHECK_NAME)] = national.NEED
    return needs


#: The assets that carry checks, in declaration order.
CHECKED_ASSETS: tuple[str, ...] = tuple(dict.fromkeys(c.asset for c in CHECKS))


def check_results(
    asset: str, warehouse, month: str, min_coverage: float
) -> list[dg.AssetCheckResult]:
    """Evaluate every check of ``asset`` for ``month`` on the stored tables and keep the
    verdicts, in one write."""
    results, verdicts = evaluate_checks(asset, warehouse, month, min_coverage)
    record_verdicts(warehouse, asset, verdicts)
    return results
