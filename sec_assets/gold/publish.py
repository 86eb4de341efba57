"""The golden files where ``SEC_GOLD_URL`` says: the golden Parquet, the month pictures and the
figures are written under ``$SEC_DATA_DIR/gold`` as always, and each is then PUT at the same
path under that URL (``s3://bucket/prefix/parquet/fact_eventos/year=YYYY/month=MM/data.parquet``
…), replacing the object there (a PUT is atomic: a reader sees the old file or the new one); a
file removed here is removed there. Unset: the local files are the golden files."""

from __future__ import annotations

from pathlib import Path

from sec_assets import objects
from sec_assets.files import atomic_write
from sec_assets.gold.local_files import GRAINS, golden_dir
from sec_assets.month import Month
from sec_assets.objects import ObjectLocation
from sec_assets.settings import SecSettings


def _target(settings: SecSettings, path: Path) -> tuple[Path | ObjectLocation, str] | None:
    root, local = settings.gold_root, settings.data_dir / "gold"
    if root == local:
        return None
    return root, Path(path).relative_to(local).as_posix()


def publish(settings: SecSettings, path: Path) -> str:
    """Put the local golden file ``path`` (under ``data_dir/gold``) at ``SEC_GOLD_URL``;
    returns where the file is now read from."""
    target = _target(settings, path)
    if target is None:
        return str(path)
    root, key = target
    if isinstance(root, ObjectLocation):
        objects.put(root.url, key, Path(path).read_bytes())
        return root.url_of(key)
    return str(atomic_write(root / key, Path(path).read_bytes()))


def where(settings: SecSettings, path: Path) -> str:
    """Where the golden file or folder ``path`` is published (the path itself when unset)."""
    target = _target(settings, path)
    if target is None:
        return str(path)
    root, key = target
    return root.url_of(key) if isinstance(root, ObjectLocation) else str(root / key)


def withdraw_month(settings: SecSettings, month: Month) -> None:
    """Remove the published copies of the month's golden files, every grain."""
    for grain in GRAINS:
        withdraw(settings, golden_dir(settings.data_dir, month, grain) / "data.parquet")


def withdraw(settings: SecSettings, path: Path) -> None:
    """Remove the published copy of a golden file that was removed locally."""
    target = _target(settings, path)
    if target is None:
        return
    root, key = target
    if isinstance(root, ObjectLocation):
        objects.delete_many(root.url, [key])
    else:
        (root / key).unlink(missing_ok=True)
