"""What every asset carries for the UI besides its code: ``layer`` and ``grain`` tags (select
``tag:grain=month`` for the monthly assets, ``tag:layer=gold`` for a layer) and local source
code references (the file and line of each asset's function, shown as "Code references")."""

from __future__ import annotations

import inspect
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg

OWNERS = ["team:sec-data-platform"]
#: The layer tag of each asset group.
LAYERS = {"bronze": "bronze", "silver": "silver", "gold": "gold", "release": "release"}
CODE_REFERENCES = "dagster/code_references"


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


def code_references(fn: Callable[..., Any]) -> dg.CodeReferencesMetadataValue:
    """The file of ``fn`` and its first line (its first decorator's): the line
    ``inspect.getsourcelines`` finds, read from the code object, so no source file is read or
    tokenized while the definitions load."""
    path = inspect.getsourcefile(fn)
    assert path is not None, fn
    with warnings.catch_warnings():  # the code-reference API is marked beta
        warnings.simplefilter("ignore", dg.BetaWarning)
        line = fn.__code__.co_firstlineno
        ref = dg.LocalFileCodeReference(file_path=os.path.abspath(path), line_number=line)
        return dg.CodeReferencesMetadataValue(code_references=[ref])


def written_by(spec: dg.AssetSpec, op: dg.OpDefinition) -> dg.AssetSpec:
    """An asset only a job's op writes (not executable on its own): its code reference is the
    op's function."""
    fn = op.compute_fn.decorated_fn  # type: ignore[union-attr]
    return spec.merge_attributes(metadata={CODE_REFERENCES: code_references(fn)})


def _referenced(item: Any) -> Any:
    """An assets definition with its function's code reference on each of its specs."""
    if not isinstance(item, dg.AssetsDefinition) or not isinstance(item.node_def, dg.OpDefinition):
        return item
    fn: Any = item.node_def.compute_fn
    refs = code_references(getattr(fn, "decorated_fn", fn))
    return item.map_asset_specs(lambda s: s.merge_attributes(metadata={CODE_REFERENCES: refs}))


def label(assets: Sequence[Any]) -> list[Any]:
    """Owners, tags and code references on every asset."""
    return [_referenced(item) for item in dg.map_asset_specs(labelled, assets)]
