"""The per-engine transaction API (:class:`Tx`) that the engine-free verbs are written over."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from sec_assets.warehouse.partitions import DEFAULT_SUFFIX, partition_table
from sec_assets.warehouse.schema import SCHEMA, TableInfo, quote

if TYPE_CHECKING:
    import polars as pl

Engine = Literal["duckdb", "postgres"]


class Tx(ABC):
    """One open transaction. SQL uses ``:name`` parameters (see :mod:`.params`)."""

    engine: ClassVar[Engine]

    @abstractmethod
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None: ...

    @abstractmethod
    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def fetch_frame(self, sql: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame: ...

    @abstractmethod
    def stage(self, name: str, frame: pl.DataFrame, info: TableInfo) -> None:
        """Make ``frame`` readable as relation ``name``, typed like ``info``'s columns, for the
        rest of the transaction."""

    @abstractmethod
    def insert(self, info: TableInfo, frame: pl.DataFrame) -> None:
        """Bulk-append ``frame`` (already conformed) to ``silver.<info.name>``."""

    @abstractmethod
    def introspect(self) -> list[TableInfo]:
        """Every table of schema silver, as the catalog describes it."""

    @abstractmethod
    def stage_partition(
        self, info: TableInfo, values: Mapping[str, Any], frame: pl.DataFrame
    ) -> None:
        """Get ``frame`` ready to become the month table of ``values`` of a table stored per
        month (before the old one is dropped)."""

    @abstractmethod
    def attach_partition(self, info: TableInfo, values: Mapping[str, Any]) -> None:
        """Make what :meth:`stage_partition` got ready the month table of ``values``."""

    @abstractmethod
    def restart(self) -> None:
        """Commit, and go on in a new transaction on the same connection (and lock); asked
        only of an engine whose :class:`~.replace.Quirks` defer referenced deletes."""

    def drop_partition(self, info: TableInfo, values: Mapping[str, Any]) -> None:
        """Delete the rows of ``values`` from a table stored per month: drop its month table,
        and delete any such rows of the DEFAULT table (same SQL on both engines; on Postgres
        the DROP takes an ACCESS EXCLUSIVE lock on the parent until commit)."""
        self.execute(f"DROP TABLE IF EXISTS {quote(SCHEMA)}.{quote(partition_table(info, values))}")
        where = " AND ".join(f"{quote(c)} = :p{i}" for i, c in enumerate(info.partition_by))
        self.execute(
            f"DELETE FROM {quote(SCHEMA)}.{quote(info.name + DEFAULT_SUFFIX)} WHERE {where}",
            {f"p{i}": values[c] for i, c in enumerate(info.partition_by)},
        )
