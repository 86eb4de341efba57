"""``reset_sec_breaker``: close the SEC circuit breaker from the UI, once its cause is fixed.

The same as ``make reset-breaker`` (``python -m sec_assets reset-breaker``), launchable from
Jobs → ``reset_sec_breaker`` → Launchpad: the run's log and metadata say the breaker's state
before and after, and which state it changed (a file, or the shared store of ``SEC_STATE_URL``).
"""

import dagster as dg

from sec_assets.sec_client.resource import SecClientResource


@dg.op(description="Close the SEC circuit breaker; log its state before and after.")
def close_sec_breaker(
    context: dg.OpExecutionContext, sec_client: SecClientResource
) -> dg.Output[str]:
    breaker = sec_client.breaker()
    before = breaker.describe()
    breaker.reset()
    after = breaker.describe()
    context.log.info(f"before: {before}")
    context.log.info(f"after: {after} ({breaker.cell.where})")
    metadata: dict[str, dg.RawMetadataValue] = {
        "before": dg.MetadataValue.text(before),
        "after": dg.MetadataValue.text(after),
        "state_store": dg.MetadataValue.text(breaker.cell.where),
    }
    if breaker.path is not None:
        metadata["state_file"] = dg.MetadataValue.path(str(breaker.path))
    return dg.Output(after, metadata=metadata)


@dg.job(
    description="Close the SEC circuit breaker by hand, once its cause (a wrong SEC_BASE_URL, "
    "a proxy) is fixed: the UI's form of `make reset-breaker`.",
    tags={"kind": "maintenance"},
)
def reset_sec_breaker() -> None:
    close_sec_breaker()
