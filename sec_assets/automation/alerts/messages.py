"""The text of a notice, for email and for a chat webhook. Pure functions, no Dagster imports.

Every message says what happened and to which month, since when (Chile's time with its
offset, ``month.format_local``), why (the run's error, the check's description and figure, the
breaker's last error), what to do (the README section or ``make`` verb), and its cause key:
later occurrences of the same cause are counted into this alert, not sent again, and one more
message follows when it clears.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sec_assets.automation.alerts.book import Notice
from sec_assets.month import format_local

PREFIX = "[sec_assets]"
MAX_WHY = 1500  # characters of a run's error kept in a message
MAX_SECTIONS = 40


def stamp(epoch: float) -> str:
    return format_local(epoch)


def duration(seconds: float) -> str:
    minutes = int(max(seconds, 0) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    if hours or days:
        parts.append(f"{hours} h")
    parts.append(f"{mins} min")
    return " ".join(parts)


def subject(notice: Notice) -> str:
    head = "RESOLVED" if notice.kind == "resolved" else "ALERT"
    return f"{PREFIX} {head}: {notice.alert.title}"


def body(notice: Notice) -> str:
    a = notice.alert
    why = a.why if len(a.why) <= MAX_WHY else a.why[:MAX_WHY] + " …"
    lines = [f"Month: {a.month}"] if a.month else []
    if notice.kind == "opened":
        lines += [
            f"Since: {stamp(a.since)}",
            f"Why: {why}",
            f"What to do: {a.action}",
            f"Cause key: {a.key}. Further occurrences of this cause are counted into this alert, "
            "not sent again; a message follows when it clears.",
        ]
    else:
        times = "once" if a.count == 1 else f"{a.count} times"
        lines += [
            f"Open from {stamp(a.since)} to {stamp(notice.at)} ({duration(notice.at - a.since)}); "
            f"occurred {times}, last at {stamp(a.last)}.",
            f"Cleared: {notice.how}",
            f"Last cause: {why}",
            f"Cause key: {a.key}",
        ]
    return "\n".join(lines)


def text(notice: Notice) -> str:
    """The whole message as one text: subject line, then the body."""
    return f"{subject(notice)}\n{body(notice)}"


@dataclass(frozen=True)
class Message:
    """What a channel sends: one notice, or a digest of several."""

    subject: str
    body: str
    sections: tuple[str, ...]  # the webhook's formatted blocks, one per notice

    @property
    def text(self) -> str:
        return f"{self.subject}\n{self.body}"

    def webhook_payload(self) -> dict[str, Any]:
        """The JSON Slack's incoming webhooks take (``text`` is the fallback every adapter
        shows; ``blocks`` the formatted version): Mattermost, Teams and Discord adapters accept
        it too. Slack allows 50 blocks and 3,000 characters a section."""
        shown = self.sections[:MAX_SECTIONS]
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": self.subject[:150]}}
        ]
        blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": s[:3000]}} for s in shown]
        if len(self.sections) > len(shown):
            more = f"{len(self.sections) - len(shown)} more in the text of this message"
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
        return {"text": self.text, "blocks": blocks}


def render(notice: Notice) -> Message:
    return Message(subject(notice), body(notice), (body(notice),))


def digest(notices: list[Notice]) -> Message:
    """Several notices of one evaluation as one message (a burst of failing months is one
    message per channel, not one per month)."""
    opened = sum(n.kind == "opened" for n in notices)
    head = f"{PREFIX} {len(notices)} alerts: {opened} opened, {len(notices) - opened} resolved"
    return Message(
        head,
        "\n\n".join(text(n) for n in notices),
        tuple(f"*{subject(n)}*\n{body(n)}" for n in notices),
    )
