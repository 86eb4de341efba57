"""What one import of a seed archive did, and the rule that fails a mostly unusable one.

A point is rejected when its hour cannot be read (quarantined) or its rows fail validation
(stored in bronze with that outcome; silver does not use them). A point the seed itself marked
as failed is not a rejection: it is the seed's record of a failed hour. An import whose rejected
share is above ``SEC_SEED_MAX_REJECTED_SHARE`` (default 5 %) fails, after storing everything.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

FIRST_REASONS = 5


@dataclass
class ImportReport:
    source: str
    sha256: str
    size_bytes: int
    layout: str = "data"
    points: int = 0
    written: int = 0
    already_present: int = 0
    skipped_other_months: int = 0
    quarantined: int = 0
    nonexistent_hours: int = 0
    orphans_removed: int = 0
    outcomes: Counter = field(default_factory=Counter)
    rejected_by_reason: Counter = field(default_factory=Counter)
    first_reasons: list[str] = field(default_factory=list)
    months: dict[str, int] = field(default_factory=dict)
    duration_s: float = 0.0

    def reject(self, index: int, reason: str, detail: str) -> None:
        self.rejected_by_reason[reason] += 1
        if len(self.first_reasons) < FIRST_REASONS:
            self.first_reasons.append(f"point {index}: {detail[:200]}")

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())

    @property
    def rejected_share(self) -> float:
        return self.rejected / self.points if self.points else 0.0

    @property
    def points_per_s(self) -> float:
        return round(self.points / self.duration_s, 1) if self.duration_s else 0.0

    @property
    def mb_per_s(self) -> float:
        return round(self.size_bytes / 1e6 / self.duration_s, 2) if self.duration_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "layout": self.layout,
            "points": self.points,
            "imported": self.written + self.already_present,
            "written": self.written,
            "already_present": self.already_present,
            "skipped_other_months": self.skipped_other_months,
            "quarantined": self.quarantined,
            "rejected": self.rejected,
            "rejected_share": round(self.rejected_share, 4),
            "rejected_by_reason": dict(sorted(self.rejected_by_reason.items())),
            "first_reasons": self.first_reasons,
            "nonexistent_hours": self.nonexistent_hours,
            "orphans_removed": self.orphans_removed,
            "outcomes": dict(sorted(self.outcomes.items())),
            "months": dict(sorted(self.months.items())),
            "duration_s": round(self.duration_s, 3),
            "points_per_s": self.points_per_s,
            "mb_per_s": self.mb_per_s,
        }


def rejection_error(report: ImportReport, max_share: float) -> str | None:
    """Why the import fails (counts and first reasons), or None when few enough were rejected."""
    if report.rejected_share <= max_share:
        return None
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(report.rejected_by_reason.items()))
    return (
        f"{report.source}: {report.rejected} of {report.points} points unusable "
        f"({report.rejected_share:.1%}, above the allowed {max_share:.1%}: "
        f"SEC_SEED_MAX_REJECTED_SHARE); by reason: {reasons}; first: "
        f"{'; '.join(report.first_reasons)}. Imported {report.written + report.already_present}, "
        f"quarantined {report.quarantined} (bronze/_import_quarantine/{report.sha256[:12]}/); "
        "everything is stored."
    )
