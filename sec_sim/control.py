"""The simulator's own endpoints under ``<prefix>/_sim/``: faults, request log and clock."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

if TYPE_CHECKING:
    from sec_sim.server import SimHTTPServer


def _json(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8")) if raw.strip() else None


def handle_control(server: SimHTTPServer, name: str, verb: str, raw: bytes) -> tuple[int, Any]:
    """Return (status, JSON payload) for a control request."""
    try:
        if name == "faults":
            if verb == "POST":
                body = _json(raw)
                rules = body.get("faults", []) if isinstance(body, dict) else body or []
                server.engine.set_rules(rules)
            elif verb == "DELETE":
                server.engine.set_rules([])
            return 200, [r.model_dump(mode="json") for r in server.engine.rules]
        if name == "log":
            if verb == "DELETE":
                server.log.clear()
            return 200, [[e.method, e.hour, e.status, e.fault] for e in server.log.entries()]
        if name == "clock":
            if verb == "POST":
                body = _json(raw) or {}
                value = body.get("clock") if isinstance(body, dict) else None
                server.service.set_clock(datetime.fromisoformat(value) if value else None)
            return 200, {"clock": server.service.now().isoformat(timespec="minutes")}
    except (ValidationError, ValueError, TypeError, AttributeError) as exc:
        return 400, {"error": str(exc)}
    return 404, {"error": f"unknown control endpoint {name!r}"}
