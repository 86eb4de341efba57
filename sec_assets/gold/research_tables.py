"""The research payloads (``research_stats``), column by column, for the codebook: their
names, order and types are those of their row models (:mod:`sec_assets.gold.payloads`; a test
holds them together)."""

from __future__ import annotations

from sec_assets.gold import columns as k
from sec_assets.gold.columns import Column, Table

C = Column
RESEARCH_LOCATION = (
    "research_stats (Supabase) or $SEC_DATA_DIR/gold/research_stats/<id>.json; in a release "
    "bundle as <id>.parquet and <id>.csv"
)
_PROXY = "proxy from hourly snapshots, not the regulator's SAIFI/SAIDI"

RELIABILITY_INDICES = Table(
    "reliability_indices",
    "research payload",
    RESEARCH_LOCATION,
    "one region and checked month with an SEC customer count",
    (
        C("nombre_region", "string", "name", "region (official spelling)"),
        C("mes", "date", "YYYY-MM-01", "the month"),
        C(
            "customers",
            "integer",
            "customers",
            "the region's customers: the count the month was capped by",
            "silver.customer_caps",
            k.AS_OF,
            k.G_CAP,
        ),
        C("customers_source", "string", "category", "'sec' (GetClientesRegional)", bias=k.AS_OF),
        C(
            "customers_as_of",
            "string",
            "YYYY-MM",
            "month the customer count describes",
            bias=k.AS_OF,
        ),
        C(
            "events",
            "integer",
            "episodes",
            "episodes that started in the month",
            bias=k.CENSORING,
            guardrail=k.G_EPISODES,
        ),
        C(
            "frequency_per_1000",
            "number",
            "customers affected per 1,000 customers",
            f"frequency ({_PROXY})",
            "Σ episode peaks × 1000 / customers",
            f"{k.PEAKS}; {k.FORCE_MAJEURE}; {k.AS_OF}",
            k.G_CAP,
        ),
        C(
            "duration_hours_per_customer",
            "number",
            "hours per customer",
            f"duration ({_PROXY})",
            "Σ customer-hours over valid hours (scaled to 24 h a day) / customers",
            f"{k.CADENCE}; {k.FORCE_MAJEURE}; {k.AS_OF}",
            k.G_COVERAGE,
        ),
        C(
            "frequency_per_1000_excl_med",
            "number",
            "customers affected per 1,000 customers",
            "frequency without major event days",
            "as frequency_per_1000 over the days not in major_event_dates",
            f"{k.PEAKS}; {k.AS_OF}",
        ),
        C(
            "duration_hours_per_customer_excl_med",
            "number",
            "hours per customer",
            "duration without major event days",
            "as duration_hours_per_customer over the days not in major_event_dates",
            f"{k.CADENCE}; {k.AS_OF}",
        ),
        C(
            "major_event_days",
            "integer",
            "days",
            "days of the month classified as major event days (IEEE 1366 2.5β)",
            "daily SAIDI > exp(α + 2.5β) of the 5 years before the day",
            "a day whose window has fewer than 30 days with outages is not classified",
        ),
        C("major_event_dates", "array", "dates (CSV: ';'-separated)", "those days"),
        C("med_window_from", "date", "date", "earliest day the month's MED thresholds drew on"),
        C("med_basis_days", "integer", "days", "fewest days with SAIDI > 0 behind a threshold"),
        C(
            "hours_per_day",
            "integer",
            "samples a day",
            "the month's sampling cadence (sparsest when mixed)",
            "silver.month_cadence",
            k.CADENCE,
            nullable=True,
        ),
        C(
            "cadence_error",
            "number",
            "share",
            "error of customer-hours measured at that cadence",
            "seeds/cadence_error.csv",
            k.CADENCE,
            nullable=True,
        ),
        C("label", "string", "text", "what the indices are and are not"),
    ),
    ("nombre_region", "mes"),
    f"{k.G_TRUSTED}; a region-month with only the reference counts is left out and listed in "
    "data_coverage.",
)

_HOURS = "hours of the month whose ledger status is"
DATA_COVERAGE = Table(
    "data_coverage",
    "research payload",
    RESEARCH_LOCATION,
    "one month of the history (scope = month), or one payload row left out (scope = payload id)",
    (
        C("scope", "string", "category", "'month', or the payload id a row was left out of"),
        C("key", "string", "YYYY-MM or row", "the month, or the row left out"),
        C("included", "boolean", "flag", "whether gold counts it", guardrail=k.G_TRUSTED),
        C(
            "reason",
            "string",
            "text",
            "why not (the blocking checks failed or not evaluated)",
            nullable=True,
        ),
        C(
            "hours_expected",
            "integer",
            "hours",
            "hours the month was expected to have at its cadence",
            bias=k.CADENCE,
            nullable=True,
        ),
        C("ok", "integer", "hours", f"{_HOURS} ok", guardrail=k.G_COVERAGE, nullable=True),
        C("empty", "integer", "hours", f"{_HOURS} empty (no outages)", nullable=True),
        C("failed", "integer", "hours", f"{_HOURS} failed", guardrail=k.G_COVERAGE, nullable=True),
        C(
            "degraded",
            "integer",
            "hours",
            f"{_HOURS} degraded",
            guardrail=k.G_COVERAGE,
            nullable=True,
        ),
        C("schema_error", "integer", "hours", f"{_HOURS} schema_error", nullable=True),
        C("wrong_date", "integer", "hours", f"{_HOURS} wrong_date", nullable=True),
        C("missing", "integer", "hours", f"{_HOURS} missing (never answered)", nullable=True),
        C(
            "revisions_seen",
            "integer",
            "answers",
            "valid answers stored beyond the first for an hour (the service revises recent hours)",
            nullable=True,
        ),
        C(
            "customers_as_of",
            "string",
            "YYYY-MM",
            "month of the counts the month was capped by",
            bias=k.AS_OF,
            nullable=True,
        ),
        C(
            "customers_source",
            "string",
            "category",
            "'sec', 'seed' or 'mixed'",
            bias=k.AS_OF,
            nullable=True,
        ),
        C(
            "customers_own_month",
            "boolean",
            "flag",
            "the counts are the SEC's for that very month",
            bias=k.AS_OF,
            nullable=True,
        ),
        C(
            "hours_per_day",
            "integer",
            "samples a day",
            "sampling cadence (sparsest when mixed)",
            bias=k.CADENCE,
            nullable=True,
        ),
        C(
            "cadence",
            "string",
            "text",
            "which sources, at what cadence, how many days",
            bias=k.CADENCE,
            nullable=True,
        ),
        C(
            "cadence_error",
            "number",
            "share",
            "error of customer-hours measured at that cadence",
            bias=k.CADENCE,
            nullable=True,
        ),
    ),
    ("scope", "key"),
)

RECENT_30D = Table(
    "recent_30d",
    "research payload",
    "research_stats (Supabase) or $SEC_DATA_DIR/gold/research_stats/recent_30d.json",
    "one episode whose last hour is in the last 30 days of checked data",
    (
        C("evento_id", "string", "md5 hex", "episode id (as in fact_eventos)"),
        C("first_hour", "datetime", "Chile local hour", "first hour seen", bias=k.CADENCE),
        C("last_hour", "datetime", "Chile local hour", "last hour seen", bias=k.CADENCE),
        C(
            "peak_customers",
            "integer",
            "customers",
            "high-water mark",
            bias=k.CAPS,
            guardrail=k.G_CAP,
        ),
        C("customer_hours", "number", "customer-hours", "customers × hours", bias=k.CADENCE),
        C("censored_end", "boolean", "flag", "still open at the data edge", bias=k.CENSORING),
        C("cut_comuna", "integer", "CUT code", "comuna (integer CUT code)", bias=k.UNKNOWN),
        C("nombre_comuna", "string", "name", "comuna name"),
        C("nombre_region", "string", "name", "region name"),
        C("nombre_empresa", "string", "name", "company name", bias=k.UNKNOWN),
        C("window_from", "datetime", "Chile local hour", "start of the 30-day window"),
        C("window_to", "datetime", "Chile local hour", "newest hour of the checked months"),
        C("as_of", "datetime", "UTC", "newest fetch behind the window", nullable=True),
    ),
    ("evento_id",),
)

RESEARCH = (RELIABILITY_INDICES, DATA_COVERAGE, RECENT_30D)
