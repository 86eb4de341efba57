"""How Postgres stores the silver contracts (:class:`~.storage.Storage`): an advisory lock
serializes bootstraps, a partitioned table gets its DEFAULT partition, and the referencing side
of the foreign keys that deletes look up gets an index."""

from __future__ import annotations

from collections.abc import Sequence

from sec_assets.warehouse.partitions import DEFAULT_SUFFIX
from sec_assets.warehouse.schema import SCHEMA, Contract, TableInfo, link_tables, quote
from sec_assets.warehouse.storage import Storage
from sec_assets.warehouse.tx import Engine, Tx

SCHEMA_LOCK_KEY = 7_240_301  # pg_advisory_xact_lock key serializing ensure_schema


class PostgresStorage(Storage):
    """The contracts as a Postgres database stores them."""

    engine: Engine = "postgres"

    def lock_schema(self, tx: Tx) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(:key)", {"key": SCHEMA_LOCK_KEY})

    def exclusive(self, tx: Tx, table: str) -> None:
        """No load of an older process may write ``table`` between its copy and its drop."""
        tx.execute(f"LOCK TABLE {quote(SCHEMA)}.{quote(table)} IN ACCESS EXCLUSIVE MODE")

    def catalog(self, tx: Tx, introspected: list[TableInfo] | None = None) -> dict[str, TableInfo]:
        return link_tables(tx.introspect() if introspected is None else introspected)

    def store_contracts(
        self, tx: Tx, contracts: Sequence[Contract], existing: dict[str, TableInfo]
    ) -> bool:
        """Nothing to rebuild: every contract's DDL declares its keys as Postgres keeps them."""
        return False

    def fill_target(self, info: TableInfo) -> str:
        """``silver.<table>``: a partitioned table routes rows to its DEFAULT partition."""
        return f"silver.{info.name}"

    def finish(self, tx: Tx, tables: dict[str, TableInfo]) -> None:
        """The DEFAULT partitions, and the indexes the deletes need."""
        for info in tables.values():
            if info.partition_by:  # rows outside any month's partition land here
                default = quote(info.name + DEFAULT_SUFFIX)
                tx.execute(
                    f"CREATE TABLE IF NOT EXISTS {quote(SCHEMA)}.{default} "
                    f"PARTITION OF {quote(SCHEMA)}.{quote(info.name)} DEFAULT"
                )
            keys = [info.primary_key, *info.unique]
            # Postgres does not index the referencing side of a foreign key. Index every
            # ``month`` column (the month deletes; not a table partitioned by month) and the
            # foreign keys to tables with months (deleting a ledger hour looks its children
            # up). Foreign keys to dimensions stay unindexed: dimension rows are never deleted,
            # and each such index slows every load (docs/benchmarks.md).
            wanted = [
                fk.columns
                for fk in info.foreign_keys
                if "month" in tables.get(fk.ref_table, info).columns
            ]
            if "month" in info.columns and info.partition_by != ("month",):
                wanted.append(("month",))
            for cols in dict.fromkeys(wanted):
                if any(key[: len(cols)] == cols for key in keys):
                    continue  # already the leading columns of a key's index
                name = f"ix_{info.name}__{'_'.join(cols)}"[:63]
                tx.execute(
                    f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(SCHEMA)}."
                    f"{quote(info.name)} ({', '.join(quote(c) for c in cols)})"
                )
