"""What a published column is, for the codebook (:mod:`sec_assets.gold.codebook`): its Table
Schema type, unit, meaning, derivation, known biases and the guardrail that counts it; and the
biases many columns share, written once.

The dashboard's payloads state theirs on their :class:`~sec_assets.gold.contract.FieldSpec`;
the golden Parquet grains and the research payloads on the :class:`Table` definitions of
:mod:`sec_assets.gold.research_tables`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Frictionless Table Schema field types used here.
FieldType = Literal["string", "integer", "number", "boolean", "date", "datetime", "array"]
TableKind = Literal["parquet", "research payload", "dashboard payload"]


@dataclass(frozen=True)
class Column:
    name: str
    type: FieldType
    unit: str
    meaning: str
    derivation: str = ""
    bias: str = ""
    guardrail: str = ""
    nullable: bool = False


@dataclass(frozen=True)
class Table:
    id: str
    kind: TableKind
    location: str  # where it is published
    grain: str  # what one row is
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    notes: str = ""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# Biases many columns share.
CADENCE = (
    "a month sampled sparser than 24 a day (the seed's archives: 4 a day) sees the "
    "sampled hours only; outages between samples are missed and each sample stands for "
    "hours_represented hours (error measured per cadence: cadence_error, docs/cadence.md)"
)
PEAKS = (
    "a sum of episode peaks counts a customer once per episode (twice if two episodes hit it) "
    "and misses outages shorter than the sampling interval; dashboard sums keep to months of "
    "the finest cadence"
)
AS_OF = (
    "the counts are those of customers_as_of: the SEC's count for the month, else the nearest "
    "earlier month's (else the reference counts of seeds/regions.csv), so a ratio may divide "
    "by a count older than the month"
)
UNKNOWN = (
    "names the service gives that do not resolve go to the UNKNOWN members (comuna RR999 per "
    "region or 00000, company 'unknown'): their customers count in totals but in no comuna"
)
CAPS = (
    "values above the region's customers are capped to them, and an hour's region total to "
    "at most the region's customers (flag_capped); missing or non-numeric customers read as 0"
)
FORCE_MAJEURE = "storms and earthquakes count like any other outage (nothing is excluded)"
CENSORING = (
    "an episode cut by the history edge or by hours without data has bounds, not times: "
    "censored_start / censored_end and the lower/upper bounds say so"
)

# The guardrails and checks that count a column's anomalies (silver.guardrail_counts, asset
# checks recorded in silver.month_checks).
G_MISSING = "guardrail clientes_missing (missing → 0), counted in guardrail_counts"
G_GEO = "guardrail geo_unknown (comuna unresolved → UNKNOWN), counted in guardrail_counts"
G_EMPRESA = "guardrail empresa_unknown (company unresolved → unknown), guardrail_counts"
G_FECHA = "guardrail fecha_fallback (bad start date → server time), guardrail_counts"
G_CAP = (
    "guardrails capped / region_total_capped (guardrail_counts); check "
    "customers_within_region_total (blocking)"
)
G_COVERAGE = (
    "checks month_coverage_above_threshold (blocking) and no_degraded_or_empty_hours (warns)"
)
G_EPISODES = (
    "checks evento_id_unique, episodes_do_not_overlap, episode_measures_are_consistent (blocking)"
)
G_KEYS = "checks keys_and_measures_not_null, every_foreign_key_resolves, hash_id_unique (blocking)"
G_TRUSTED = "only months whose blocking checks passed (silver.month_checks)"

#: The shared biases by name: the codebook states each once and names it in the columns.
BIASES = {
    "cadence": CADENCE,
    "peak sums": PEAKS,
    "customers as of": AS_OF,
    "UNKNOWN members": UNKNOWN,
    "caps": CAPS,
    "force majeure": FORCE_MAJEURE,
    "censoring": CENSORING,
}
