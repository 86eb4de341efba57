"""The memory of alerts: one per cause, repeats folded into it, a notice when it clears.

Pure data, no Dagster imports: an :class:`AlertBook` is what an alert sensor keeps in its cursor
(JSON), so it survives restarts and is shared by every process of the instance. A
:class:`Cause` is one observed reason to alert, keyed by what it is about (``run_failed:
2024-08:sec_snapshots``); the book opens an alert on a key's first occurrence (a notice to
send), counts later occurrences (a new ``occurrence`` id: another run, another opening of the
breaker) without sending anything, and resolves the key when its cause clears (a notice).
Notices wait in the outbox, per channel, until each channel has taken them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

MAX_OUTBOX = 200  # notices kept for channels that keep failing
MAX_ATTEMPTS = 48  # a notice no channel takes after this many evaluations is dropped (logged)
MAX_WHY = 4000  # characters of a cause's reason kept in the cursor


@dataclass(frozen=True)
class Cause:
    """One reason to alert, as observed now."""

    key: str  # what the alert is about; one alert per key
    title: str  # one line: what happened, to which month
    why: str  # the run's error, the check's description and figure, the breaker's last error
    action: str  # what to do: the README section, the make verb
    since: float  # epoch seconds of this occurrence
    occurrence: str  # identifies the occurrence (a run id, an opening time): repeats count
    month: str | None = None

    def cleaned(self, clean: Any) -> Cause:
        """The cause with every text passed through ``clean`` (the redactor)."""
        return replace(
            self, title=clean(self.title), why=clean(self.why), action=clean(self.action)
        )


@dataclass
class OpenAlert:
    key: str
    title: str
    why: str
    action: str
    since: float  # first occurrence
    last: float  # latest occurrence
    count: int
    occurrence: str
    month: str | None = None


@dataclass
class Notice:
    """A message to deliver: an alert opened or resolved."""

    kind: str  # "opened" | "resolved"
    alert: OpenAlert
    at: float
    how: str = ""  # for a resolved alert: what cleared it
    pending: list[str] = field(default_factory=list)  # channels that have not taken it yet
    attempts: int = 0


@dataclass
class AlertBook:
    open: dict[str, OpenAlert] = field(default_factory=dict)
    outbox: list[Notice] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)  # the sensor's own read position

    def occur(self, cause: Cause) -> Notice | None:
        """Record an occurrence of ``cause``: a notice if it opens an alert, else None."""
        cause = replace(cause, why=cause.why[:MAX_WHY])
        alert = self.open.get(cause.key)
        if alert is None:
            alert = OpenAlert(
                cause.key,
                cause.title,
                cause.why,
                cause.action,
                cause.since,
                cause.since,
                1,
                cause.occurrence,
                cause.month,
            )
            self.open[cause.key] = alert
            return self._post(Notice("opened", replace(alert), cause.since))
        if cause.occurrence != alert.occurrence:
            alert.count += 1
            alert.occurrence = cause.occurrence
            alert.last = max(alert.last, cause.since)
            alert.why = cause.why  # the latest reason, for the resolved notice
        return None

    def resolve(self, key: str, at: float, how: str) -> Notice | None:
        alert = self.open.pop(key, None)
        if alert is None:
            return None
        return self._post(Notice("resolved", alert, at, how))

    def reconcile(self, prefix: str, active: list[Cause], at: float, how: str) -> list[Notice]:
        """For causes observed as a state: each active cause occurs; every open alert whose key
        starts with ``prefix`` and is no longer active is resolved."""
        notices = [n for c in active if (n := self.occur(c)) is not None]
        keys = {c.key for c in active}
        for key in [k for k in self.open if k.startswith(prefix) and k not in keys]:
            if (n := self.resolve(key, at, how)) is not None:
                notices.append(n)
        return notices

    def _post(self, notice: Notice) -> Notice:
        self.outbox.append(notice)
        del self.outbox[:-MAX_OUTBOX]
        return notice

    def address(self, channels: list[str]) -> None:
        """Notices not yet addressed go to every configured channel."""
        for notice in self.outbox:
            if not notice.pending and notice.attempts == 0:
                notice.pending = list(channels)

    def dumps(self) -> str:
        return json.dumps(
            {
                "open": {k: asdict(v) for k, v in sorted(self.open.items())},
                "outbox": [asdict(n) for n in self.outbox],
                "source": self.source,
            },
            separators=(",", ":"),
        )

    @classmethod
    def parse(cls, raw: str | None) -> AlertBook:
        """The book from a cursor; an absent or unreadable one starts empty."""
        if not raw:
            return cls()
        try:
            doc = json.loads(raw)
            return cls(
                open={k: OpenAlert(**v) for k, v in doc.get("open", {}).items()},
                outbox=[
                    Notice(**{**n, "alert": OpenAlert(**n["alert"])}) for n in doc.get("outbox", [])
                ],
                source=dict(doc.get("source", {})),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return cls()
