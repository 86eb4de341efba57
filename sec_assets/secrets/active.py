"""The process's redactor: every secret any settings of this process held, so that code without
settings at hand (silver's transform, also in its parser process) masks them too. Each settings
load adds its secrets; a process that loaded none reads them from the environment."""

from __future__ import annotations

import threading

from sec_assets.secrets.redactor import Redactor

_lock = threading.Lock()
_known: frozenset[str] = frozenset()
_active = Redactor([])
_loaded = False


def activate(secrets: list[str]) -> Redactor:
    """Add ``secrets`` to the process's redactor; returns it."""
    global _known, _active, _loaded
    with _lock:
        _loaded = True
        if not set(secrets) <= _known:
            _known = _known | set(secrets)
            _active = Redactor(_known)
        return _active


def active() -> Redactor:
    """The redactor of every secret this process's settings held."""
    if not _loaded:
        from sec_assets.settings import load_settings

        load_settings()  # activates the environment's secrets
    return _active
