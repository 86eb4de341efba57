"""The breaker in words: its state, since when, until when, why, and the commands that reset it,
safe to paste (the data folder shell-quoted)."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from sec_assets.month import format_local

if TYPE_CHECKING:
    from sec_assets.sec_client.breaker import CircuitBreaker, PersistedState

RESET_VERB = "python -m sec_assets reset-breaker"
RESET_MAKE = "make reset-breaker"


def describe(breaker: CircuitBreaker, data: PersistedState) -> str:
    from sec_assets.sec_client.breaker import BreakerState

    state = breaker.effective(data)
    if state is BreakerState.CLOSED:
        return f"SEC circuit breaker is closed ({data.consecutive_failures} recent failures)"
    what = (
        f"after {data.consecutive_failures} consecutive failures of "
        f"{data.endpoint or 'the service'} (last: {data.last_error or 'unknown'})"
    )
    if state is BreakerState.OPEN:
        head = f"SEC circuit breaker is OPEN {what}; it half-opens at {_when(data, breaker)}"
    elif breaker.probe_alive(data):
        deadline = float(data.probe_started_at or 0) + breaker.probe_timeout_s
        head = (
            f"SEC circuit breaker is HALF_OPEN {what}; a probe {data.endpoint or ''} request "
            f"is in flight (its claim expires at {format_local(deadline)})"
        )
    else:
        head = f"SEC circuit breaker is HALF_OPEN {what}; the next request probes"
    return (
        f"{head}. If the cause is fixed (a wrong SEC_BASE_URL, a proxy), reset it now: "
        f"{reset_commands(breaker.path)} ({breaker.cell.where})"
    )


def reset_commands(path: Path | None) -> str:
    """The verbs that reset the breaker whose state is the file ``path`` (None: a shared store,
    which the verbs reach through the same ``SEC_STATE_URL`` as the runs). When the file is
    where the settings put it (``<data_dir>/state/sec_breaker.json``) they name that folder, so
    that they reset this file whatever the shell's own ``SEC_DATA_DIR``."""
    prefix = ""
    if path is not None and path.name == "sec_breaker.json" and path.parent.name == "state":
        prefix = f"SEC_DATA_DIR={shlex.quote(str(path.parent.parent.resolve()))} "
    return f"`{prefix}{RESET_VERB}` or `{prefix}{RESET_MAKE}`"


def _when(data: PersistedState, breaker: CircuitBreaker) -> str:
    if data.opened_at is None:
        return "the end of the cooldown"
    return (
        f"{format_local(data.opened_at + breaker.cooldown_s)} (cooldown {breaker.cooldown_s:.0f} s)"
    )
