"""The Postgres DSN is a secret: never in a repr, a str, a log line or an error we raise."""

from __future__ import annotations

import logging
import traceback

import pytest
from pydantic import SecretStr

from sec_assets.gold.sync.resource import DashboardSinkResource
from sec_assets.sec_client.resource import SecClientResource
from sec_assets.settings import load_settings
from sec_assets.warehouse import (
    PostgresWarehouse,
    WarehouseConnectionError,
    connect_warehouse,
)
from sec_assets.warehouse.resource import WarehouseResource

SECRET = "S3cr3t-pw"

# Each DSN holds the secret; each fails at a different stage of connecting.
BAD_DSNS = [
    pytest.param(f"postgresql://sec_user:{SECRET}@127.0.0.1:1/nodb", id="url-refused"),
    pytest.param(f"postgresql://sec_user:{SECRET}%40x@127.0.0.1:1/nodb", id="url-encoded"),
    pytest.param(f"host=127.0.0.1 port=1 user=u password={SECRET} dbname=x", id="keyword"),
    pytest.param(f"host=127.0.0.1 password='{SECRET} x' garbage", id="keyword-malformed"),
    pytest.param(f"postgresql://u:{SECRET}@127.0.0.1:notaport/db", id="url-bad-port"),
    pytest.param(f"postgresql://127.0.0.1:1/db?user=u&password={SECRET}", id="url-query"),
    pytest.param(
        f"postgresql://no_such_role:{SECRET}@127.0.0.1:5432/postgres", id="server-refuses"
    ),
]


def everything_said(exc: BaseException) -> str:
    return "\n".join(
        [str(exc), repr(exc), *traceback.format_exception(type(exc), exc, exc.__traceback__)]
    )


@pytest.mark.parametrize("dsn", BAD_DSNS)
def test_connection_errors_are_redacted(dsn: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    warehouse = PostgresWarehouse(dsn, connect_timeout_s=2)
    with pytest.raises(WarehouseConnectionError) as info:
        warehouse.ensure_schema()
    said = everything_said(info.value)
    assert SECRET not in said
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert SECRET not in caplog.text
    assert SECRET not in repr(warehouse) and SECRET not in str(warehouse)


def test_the_repr_says_where_and_never_the_dsn() -> None:
    wh = PostgresWarehouse(SecretStr(f"postgresql://sec_user:{SECRET}@db.example:5433/sec"))
    assert repr(wh) == "PostgresWarehouse(db.example:5433/sec)"


def test_settings_and_resources_do_not_show_a_secret() -> None:
    dsn = f"postgresql://sec_user:{SECRET}@127.0.0.1:5432/sec"
    settings = load_settings(pg_dsn=dsn)
    wh = connect_warehouse(settings)
    assert isinstance(wh, PostgresWarehouse)
    resources = [
        WarehouseResource(pg_dsn=dsn),
        SecClientResource(http_proxy=f"http://u:{SECRET}@relay:3128"),
        DashboardSinkResource(
            supabase_url="https://x.supabase.co", supabase_service_role_key=SECRET
        ),
    ]
    shown = [repr(settings), str(settings), repr(wh), str(wh), repr(settings.redactor)]
    for text in shown + [t for r in resources for t in (repr(r), str(r))]:
        assert SECRET not in text
