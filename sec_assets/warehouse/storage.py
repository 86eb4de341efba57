"""How an engine stores the silver contracts: the part of the schema bootstrap that differs.

:func:`~.bootstrap.ensure_schema` runs the same steps on both engines and asks a
:class:`Storage` (one per engine: :mod:`.duckdb_storage`, :mod:`.postgres_storage`) for the
engine's own locks, catalog reading, storage rebuilds and extras.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from sec_assets.warehouse.schema import Contract, TableInfo
from sec_assets.warehouse.tx import Engine, Tx


class Storage(ABC):
    """The engine's storage of the contracts, asked by the schema bootstrap."""

    engine: Engine

    @abstractmethod
    def lock_schema(self, tx: Tx) -> None:
        """Serialize concurrent bootstraps until ``tx`` ends."""

    @abstractmethod
    def exclusive(self, tx: Tx, table: str) -> None:
        """Keep every other writer out of ``silver.<table>`` until ``tx`` ends."""

    @abstractmethod
    def catalog(self, tx: Tx, introspected: list[TableInfo] | None = None) -> dict[str, TableInfo]:
        """The silver tables as this engine stores them, linked (parents know their children);
        ``introspected``: what ``tx.introspect()`` returned, if nothing changed since."""

    @abstractmethod
    def store_contracts(
        self, tx: Tx, contracts: Sequence[Contract], existing: dict[str, TableInfo]
    ) -> bool:
        """Bring tables created under an older storage clause to the current one; the
        contracts' DDL has just run, ``existing`` is the catalog from before it. True if a
        table was rebuilt."""

    @abstractmethod
    def finish(self, tx: Tx, tables: dict[str, TableInfo]) -> None:
        """What the engine adds once the contracts ran, before any row is written."""

    @abstractmethod
    def fill_target(self, info: TableInfo) -> str:
        """Where rows written by the bootstrap into table ``info`` go (``silver.<table>`` or
        a table of its storage)."""
