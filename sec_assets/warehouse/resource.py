"""The warehouse as a Dagster resource.

Unset fields are read from the environment (``SEC_PG_DSN``; ``SEC_DATA_DIR`` through the nested
storage resource) when the run starts, never at import time. Pass the DSN as
``dg.EnvVar("SEC_PG_DSN")`` so Dagster shows the variable's name, not its value.
"""

from __future__ import annotations

import os
import threading
from typing import Any, ClassVar

import dagster as dg
from pydantic import PrivateAttr, SecretStr

from sec_assets.resource_settings import StoredResource
from sec_assets.settings_report import describe, field, source
from sec_assets.warehouse.base import Warehouse
from sec_assets.warehouse.connect import connect_warehouse
from sec_assets.warehouse.dsn import clear_password_hosts

_ensured: set[str] = set()  # warehouses whose schema this process has ensured
_ensured_lock = threading.Lock()


class WarehouseResource(StoredResource):
    """The silver warehouse: Postgres when a DSN is set, else DuckDB under ``data_dir``."""

    pg_dsn: str | None = field(
        "pg_dsn", "Postgres DSN (a secret); unset or blank: DuckDB.", repr=False
    )
    SHOWN: ClassVar[tuple[str, ...]] = ("pg_dsn", "data_dir")

    _warehouse: Warehouse | None = PrivateAttr(default=None)
    _in_run: bool = PrivateAttr(default=False)
    _chosen: Warehouse | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Inside a run (its steps share one process and one set of resources: the
        in-process executor), DuckDB calls share one connection, released when idle and when
        the run ends: the file is opened once for a month's steps, not once per step or
        query (:mod:`.kept`). The run's log says which engine and where (never the DSN's
        password)."""
        super().setup_for_execution(context)
        self._in_run = True
        if context.log is not None:
            s, explicit, chosen = self.settings, self.explicit_settings(), self.chosen()
            if chosen.engine == "postgres":
                where = f"engine=postgres, {describe(s, ['pg_dsn'], explicit)}"
                _warn_clear_password(s.pg_dsn, context.log)
            else:
                where = f"engine=duckdb, file={chosen.where} [{source('data_dir', explicit)}]"
            context.log.info(f"WarehouseResource settings: {where}")

    def chosen(self) -> Warehouse:
        """The warehouse these settings name (:func:`.connect_warehouse`, the one place that
        chooses the engine), not opened: ask it its ``engine`` and ``where``."""
        if self._chosen is None:
            self._chosen = connect_warehouse(self.settings)
        return self._chosen

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._warehouse is not None:
            kept = self._warehouse.release_kept()
            if kept and context.log is not None:
                context.log.info(
                    f"warehouse: the run's kept connection was opened {kept} time(s); "
                    f"connections opened in all: {self._warehouse.connections_opened}"
                )

    def get_warehouse(self, *, writes: bool = False) -> Warehouse:
        """The warehouse, its schema ensured once per process. In a run, its calls share one
        kept connection (:mod:`.kept`). ``writes``: the caller writes to it, so when it is the
        run's first, the schema is ensured on that connection, opened read-write once for
        the run (a DuckDB open costs more as the history grows: a month's run opened the file
        twice, once to ensure the schema and once for its steps). A run that only reads keeps
        a read-only connection (on DuckDB, a lock other readers share), the schema ensured
        apart, since that may write."""
        if self._warehouse is None:
            warehouse = connect_warehouse(self.settings)
            if self._in_run and writes:
                warehouse.keep_open(idle_s=self.settings.warehouse_idle_s)
            key = repr(warehouse)  # a path, or host:port/dbname: never a secret
            with _ensured_lock:
                if key not in _ensured:
                    try:
                        warehouse.ensure_schema()
                    except BaseException:  # nothing kept for a warehouse this run never got
                        warehouse.release_kept()
                        raise
                    _ensured.add(key)
            if self._in_run:
                warehouse.keep_open(idle_s=self.settings.warehouse_idle_s)
            self._warehouse = warehouse
        return self._warehouse


def _warn_clear_password(dsn: SecretStr | None, log: Any) -> None:
    if dsn is None:
        return
    hosts = clear_password_hosts(dsn.get_secret_value(), os.environ.get("PGSSLMODE"))
    if hosts:
        log.warning(
            f"SEC_PG_DSN may send its password to {', '.join(hosts)} without TLS: add "
            "sslmode=require (or verify-full) to it, or use a server on a loopback address"
        )
