"""Errors raised by the warehouse. Messages never contain a secret (the DSN is never quoted)."""

from __future__ import annotations


class WarehouseError(Exception):
    """Base class of every error raised by :mod:`sec_assets.warehouse`."""


class WarehouseConnectionError(WarehouseError):
    """The database could not be opened or reached (the message names host:port/dbname)."""


class WarehouseLockTimeout(WarehouseError):
    """Another writer held the DuckDB file for longer than ``lock_timeout_s``."""


class WarehouseIntegrityError(WarehouseError):
    """A primary key, foreign key, unique or NOT NULL constraint refused the change.

    The transaction was rolled back: the tables are as they were before the call.
    """


class WarehouseQueryError(WarehouseError):
    """Any other error the engine raised while running a statement."""


class WarehouseDiskError(WarehouseQueryError):
    """The warehouse's disk is full, read-only or forbidden; the message says where and what to
    do. The transaction was rolled back."""
