"""The Postgres catalog read as the silver contracts: tables, columns, keys, partitioning.

Partitions of a partitioned table are tables of the schema too: the catalog queries skip them
(``relispartition``), so callers only ever see the partitioned parent.
"""

from __future__ import annotations

from typing import Any

import psycopg

from sec_assets.warehouse.schema import SCHEMA, TableInfo, build_tables

_COLUMNS = """
SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
JOIN pg_namespace ns ON ns.nspname = c.table_schema
JOIN pg_class cl ON cl.relnamespace = ns.oid AND cl.relname = c.table_name
WHERE c.table_schema = %(schema)s AND NOT cl.relispartition
ORDER BY c.table_name, c.ordinal_position
"""
_PARTITIONED = """
SELECT cl.relname::text,
       ARRAY(SELECT a.attname::text FROM unnest(p.partattrs::int2[]) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = k.n ORDER BY k.i)
FROM pg_partitioned_table p
JOIN pg_class cl ON cl.oid = p.partrelid
JOIN pg_namespace ns ON ns.oid = cl.relnamespace
WHERE ns.nspname = %(schema)s
"""
_CONSTRAINTS = """
SELECT cl.relname, con.contype::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
       fcl.relname::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i)
FROM pg_constraint con
JOIN pg_class cl ON cl.oid = con.conrelid
JOIN pg_namespace ns ON ns.oid = cl.relnamespace
LEFT JOIN pg_class fcl ON fcl.oid = con.confrelid
WHERE ns.nspname = %(schema)s AND con.contype IN ('p', 'u', 'f') AND NOT cl.relispartition
ORDER BY cl.relname, con.conname
"""


def introspect(conn: psycopg.Connection[Any]) -> list[TableInfo]:
    """Every table of schema silver, partitioned parents with their partitioning columns."""
    params = {"schema": SCHEMA}
    columns = conn.execute(_COLUMNS, params).fetchall()
    constraints = conn.execute(_CONSTRAINTS, params).fetchall()
    partitioned = conn.execute(_PARTITIONED, params).fetchall()
    return build_tables(columns, constraints, {t: tuple(cols) for t, cols in partitioned})
