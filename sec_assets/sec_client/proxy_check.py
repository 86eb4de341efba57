"""A proxy password sent in clear: ``SEC_HTTP_PROXY=http://user:password@host`` to a proxy that
is not on this machine sends ``Proxy-Authorization`` unencrypted. Warned once per process (a
run's steps), not refused: some residential relays offer nothing else.
"""

from __future__ import annotations

import logging

from sec_assets.cleartext import LOOPBACK_HOSTS, host_of, sends_credentials_in_clear

_warned: set[str] = set()


def warn_clear_proxy(proxy: str, log: logging.Logger) -> bool:
    """Log the warning the first time this process meets ``proxy``; True if it did."""
    if not sends_credentials_in_clear(proxy) or proxy in _warned:
        return False
    _warned.add(proxy)
    log.warning(
        "SEC_HTTP_PROXY sends its user and password in clear to the plain-http proxy at "
        f"{host_of(proxy)!r}: use an https:// proxy URL, or a proxy on a loopback address "
        f"({LOOPBACK_HOSTS})"
    )
    return True
