"""What every asset carries for the UI besides its code: ``layer`` and ``grain`` tags (select
``tag:grain=month`` for the monthly assets, ``tag:layer=gold`` for a layer) and local source
code references (the file and line of each asset's function, shown as "Code references")."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Sequence
from typing import Any

import dagster as dg

OWNERS = ["team:sec-data-platform"]
#: The layer tag of each asset group.
LAYERS = {"bronze": "bronze", "silver": "silver", "gold": "gold", "release": "release"}


def grain(spec: dg.AssetSpec) -> str:
    """``month`` for an asset partitioned by month, ``whole_history`` for one that is not."""
    if isinstance(spec.partitions_def, dg.MonthlyPartitionsDefinition):
        return "month"
    if spec.partitions_def is None:
        return "whole_history"
    return type(spec.partitions_def).__name__


def labelled(spec: dg.AssetSpec) -> dg.AssetSpec:
    """The spec with its owners and its ``layer``/``grain`` tags."""
    tags = {"grain": grain(spec)}
    if spec.group_name in LAYERS:
        tags["layer"] = LAYERS[spec.group_name]
    return spec.replace_attributes(owners=OWNERS).merge_attributes(tags=tags)


def written_by(spec: dg.AssetSpec, op: dg.OpDefinition) -> dg.AssetSpec:
    """An asset only a job's op writes (not executable on its own): its code reference is the
    op's function."""
    fn = op.compute_fn.decorated_fn  # type: ignore[union-attr]
    path = inspect.getsourcefile(fn)
    assert path is not None, op.name
    with warnings.catch_warnings():  # the code-reference API is marked beta
        warnings.simplefilter("ignore", dg.BetaWarning)
        line = inspect.getsourcelines(fn)[1]
        ref = dg.LocalFileCodeReference(file_path=path, line_number=line)
        refs = dg.CodeReferencesMetadataValue(code_references=[ref])
    return spec.merge_attributes(metadata={"dagster/code_references": refs})


def label(assets: Sequence[Any]) -> list[Any]:
    """Owners, tags and code references on every asset."""
    with warnings.catch_warnings():  # the code-reference API is marked beta
        warnings.simplefilter("ignore", dg.BetaWarning)
        return list(dg.with_source_code_references(dg.map_asset_specs(labelled, assets)))
