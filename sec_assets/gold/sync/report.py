"""What one publication did: where it went, which payloads landed and which did not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sec_assets.gold.sync.errors import DashboardPublishError

Target = Literal["supabase", "files"]


@dataclass
class PublishReport:
    """``failed`` maps a payload id to an error text that holds no secret."""

    target: Target
    location: str  # the redacted table URL, or the folder of JSON files
    published: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)  # stale ids deleted (prune=True)

    @property
    def ok(self) -> bool:
        return not self.failed

    def raise_for_failures(self) -> None:
        """Raise :class:`DashboardPublishError` naming every failed id; no-op when all landed."""
        if self.failed:
            raise DashboardPublishError(
                self.target, self.location, self.failed, len(self.published)
            )
