"""The golden Parquet grains, column by column, for the codebook: the episode grain
(``golden_eventos.sql``) and the observation grain (``golden_observaciones.sql`` and
:mod:`sec_assets.gold.observations`). A test reads the files written and compares their
columns and types to these."""

from __future__ import annotations

from sec_assets.gold import columns as k
from sec_assets.gold.columns import Column, Table

C = Column
HIVE = (
    "Hive-partitioned by month (year=YYYY/month=MM, one data.parquet each): read with "
    "hive_partitioning, a reader sees year and month (integers) from the path; a month is "
    "written only when its blocking checks passed"
)

_REGION = (
    C("cut_region", "integer", "CUT region code", "region of the comuna (1–16)"),
    C("nombre_region", "string", "name", "region name (official spelling, with accents)"),
)
_COMUNA = (
    C(
        "cut_comuna",
        "string",
        "CUT code",
        "comuna, 5-digit CUT code; RR999 / 00000: UNKNOWN",
        bias=k.UNKNOWN,
        guardrail=k.G_GEO,
    ),
    C("nombre_comuna", "string", "name", "comuna name (official spelling)"),
    C(
        "comuna_unknown",
        "boolean",
        "flag",
        "the UNKNOWN member (name did not resolve)",
        bias=k.UNKNOWN,
        guardrail=k.G_GEO,
    ),
)

FACT_EVENTOS = Table(
    "fact_eventos",
    "parquet",
    "fact_eventos/year=YYYY/month=MM/data.parquet ($SEC_DATA_DIR/gold/parquet/, release bundle)",
    "one outage episode of a comuna (and company, legacy era) that started in the month",
    (
        C("evento_id", "string", "md5 hex", "episode id: md5(comuna|company|first hour)"),
        C(
            "month",
            "string",
            "YYYY-MM",
            "month of first_hour (in the file; a hive reader sees the path's month=MM instead)",
        ),
        C(
            "first_hour",
            "datetime",
            "Chile local hour",
            "first hour seen with customers affected",
            bias=k.CADENCE,
        ),
        C(
            "last_hour",
            "datetime",
            "Chile local hour",
            "last hour seen with customers affected",
            bias=k.CADENCE,
        ),
        C(
            "start_lower",
            "datetime",
            "Chile local hour",
            "earliest possible start: the last valid hour without the outage (or first_hour)",
            bias=k.CENSORING,
        ),
        C("start_upper", "datetime", "Chile local hour", "latest possible start (= first_hour)"),
        C("end_lower", "datetime", "Chile local hour", "earliest possible end (last_hour + 1 h)"),
        C(
            "end_upper",
            "datetime",
            "Chile local hour",
            "latest possible end: the first valid hour without the outage (or last_hour + 1 h)",
            bias=k.CENSORING,
        ),
        C(
            "peak_customers",
            "integer",
            "customers",
            "high-water mark of customers affected",
            "max over the episode's hours of clientes_afectados",
            k.CAPS,
            k.G_CAP,
        ),
        C(
            "customer_hours",
            "number",
            "customer-hours",
            "customers affected × hours, each observation weighted by the hours it stands for",
            "Σ clientes_afectados × hours_represented over the episode's hours",
            f"{k.CADENCE}; {k.CAPS}",
            k.G_EPISODES,
        ),
        C("snapshots", "integer", "hours", "hours observed with customers affected"),
        C(
            "gap_hours",
            "integer",
            "hours",
            "hours without valid data bridged inside the episode",
            bias=k.CENSORING,
            guardrail=k.G_COVERAGE,
        ),
        C(
            "censored_start",
            "boolean",
            "flag",
            "the start is not seen: history edge or no data before first_hour",
            bias=k.CENSORING,
        ),
        C(
            "censored_end",
            "boolean",
            "flag",
            "the end is not seen: still open at the data edge or no data after",
            bias=k.CENSORING,
        ),
        *_COMUNA[:2],
        C("cut_provincia", "string", "CUT code", "province of the comuna"),
        *_REGION,
        _COMUNA[2],
        C(
            "empresa_id",
            "string",
            "id",
            "distribution company; 'no_informada' in the current "
            "era (the service reports none), 'unknown' when unresolved",
            bias=k.UNKNOWN,
            guardrail=k.G_EMPRESA,
        ),
        C("nombre_empresa", "string", "name", "company name"),
        C("fecha", "date", "date", "local date of first_hour"),
        C("anho", "integer", "year", "year of fecha"),
        C("mes", "integer", "month 1–12", "month of fecha"),
        C("dia_semana", "integer", "ISO weekday", "1 = Monday … 7 = Sunday"),
    ),
    ("evento_id",),
    f"{HIVE}. Built from silver.fact_eventos: {k.G_TRUSTED}.",
)

_NULL_IF_NO_DATA = "NULL in a row of an hour without valid data"
FACT_OBSERVACIONES = Table(
    "fact_observaciones",
    "parquet",
    "fact_observaciones/year=YYYY/month=MM/data.parquet ($SEC_DATA_DIR/gold/parquet/, "
    "release bundle)",
    "one (hour, comuna, company) with customers affected; and one (hour, comuna) per official "
    "comuna an hour without valid data does not list, with NULL customers. A comuna absent "
    "from an hour whose ledger_status is ok or empty had no customers affected",
    (
        C(
            "hora_local",
            "datetime",
            "Chile local hour",
            "the hour observed (wall clock, America/Santiago)",
            bias=k.CADENCE,
        ),
        C("hora_utc", "datetime", "UTC", "the same hour in UTC"),
        *_REGION,
        *_COMUNA,
        C(
            "empresa_id",
            "string",
            "id",
            "distribution company; 'no_informada' in the current "
            f"era, 'unknown' when unresolved; {_NULL_IF_NO_DATA}",
            bias=k.UNKNOWN,
            guardrail=k.G_EMPRESA,
            nullable=True,
        ),
        C("nombre_empresa", "string", "name", f"company name; {_NULL_IF_NO_DATA}", nullable=True),
        C(
            "clientes_afectados",
            "integer",
            "customers",
            "customers without power in the hour; "
            "NULL: no valid data for the hour (see ledger_status), never zero",
            "Σ of the service's rows for the key (fragments and outage start dates summed)",
            f"{k.CAPS}; {k.UNKNOWN}",
            f"{k.G_MISSING}; {k.G_CAP}",
            nullable=True,
        ),
        C(
            "fragmentos",
            "integer",
            "rows",
            f"raw rows summed into this one; {_NULL_IF_NO_DATA}",
            guardrail="guardrail duplicate_rows (guardrail_counts)",
            nullable=True,
        ),
        C(
            "ledger_status",
            "string",
            "category",
            "what became of the hour: ok, empty (the "
            "service answered: no outages), degraded (comunas collapsed: values as answered, "
            "known incomplete), failed, schema_error, wrong_date, missing (no valid answer)",
            "silver.snapshot_ledger",
            guardrail=k.G_COVERAGE,
        ),
        C(
            "era",
            "string",
            "category",
            "payload era of the answer: current, legacy, empty",
            nullable=True,
        ),
        C(
            "hours_per_day",
            "integer",
            "samples a day",
            "cadence of the hour's day: 24 fetched, 4 from the seed's archives",
            "the month's silver.month_cadence grid nearest the day's expected hours",
            k.CADENCE,
            nullable=True,
        ),
        C(
            "hours_represented",
            "number",
            "hours",
            "hours each observation of the day stands "
            "for (1 at 24 a day, 6 at 4 a day): weight it by this",
            "silver.month_cadence",
            k.CADENCE,
            nullable=True,
        ),
        C(
            "cadence_error",
            "number",
            "share",
            "mean absolute relative error of a region's "
            "monthly customer-hours at this cadence, measured against the simulator's truth",
            "seeds/cadence_error.csv (make bench)",
            k.CADENCE,
            nullable=True,
        ),
        C(
            "region_customers",
            "integer",
            "customers",
            "the region's customers the month's values were capped by",
            "silver.customer_caps",
            k.AS_OF,
            k.G_CAP,
        ),
        C(
            "customers_as_of",
            "string",
            "YYYY-MM",
            "month of the customer counts used",
            bias=k.AS_OF,
        ),
        C(
            "customers_source",
            "string",
            "category",
            "'sec' (GetClientesRegional) or 'seed' (reference counts)",
            bias=k.AS_OF,
        ),
        C(
            "flag_clientes_missing",
            "boolean",
            "flag",
            "a fragment had customers missing (→ 0)",
            bias=k.CAPS,
            guardrail=k.G_MISSING,
            nullable=True,
        ),
        C(
            "flag_geo_unknown",
            "boolean",
            "flag",
            "the comuna did not resolve",
            bias=k.UNKNOWN,
            guardrail=k.G_GEO,
            nullable=True,
        ),
        C(
            "flag_empresa_unknown",
            "boolean",
            "flag",
            "the company did not resolve",
            bias=k.UNKNOWN,
            guardrail=k.G_EMPRESA,
            nullable=True,
        ),
        C(
            "flag_fecha_fallback",
            "boolean",
            "flag",
            "an outage start date did not parse (→ server time)",
            guardrail=k.G_FECHA,
            nullable=True,
        ),
        C(
            "flag_capped",
            "boolean",
            "flag",
            "capped to the region's customers",
            bias=k.CAPS,
            guardrail=k.G_CAP,
            nullable=True,
        ),
    ),
    ("hora_local", "cut_comuna", "empresa_id"),
    f"{HIVE}. Unique by (hora_local, cut_comuna, empresa_id), empresa_id NULL in the rows of "
    "hours without valid data. Sorted by region, comuna, hour and company within a file; "
    "zstd, row-group statistics, so a filter on year, month, region or comuna skips data. "
    f"Built from silver.fact_interrupciones and silver.snapshot_ledger: {k.G_TRUSTED}.",
)

GRAINS = (FACT_EVENTOS, FACT_OBSERVACIONES)
