"""What a bronze month holds after a run: the rows and customers of every hour's newest valid
answer, hot or archived — the figures silver reads, whatever this run fetched."""

from __future__ import annotations

from dataclasses import dataclass

from sec_assets.bronze.store import BronzeStore


@dataclass(frozen=True)
class MonthTotals:
    rows: int
    customers: int


def month_totals(store: BronzeStore, month: str) -> MonthTotals:
    """Sums over the newest valid answer of each key of ``month`` (``store.latest_good``)."""
    with store.whole_month(month) as whole:
        docs = [whole.envelope_of(f) for f in whole.latest_good(month).values()]
    return MonthTotals(
        rows=sum(int(d.get("rows") or 0) for d in docs),
        customers=sum(int(d.get("customers") or 0) for d in docs),
    )
