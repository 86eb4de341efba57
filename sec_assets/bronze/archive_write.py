"""Writing archives: a generation written, verified and published without ever replacing a file;
extraction; and the sidecar re-derived from an intact archive's manifest."""

from __future__ import annotations

import errno
import gzip
import io
import os
import tarfile
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import orjson

from sec_assets.bronze.archive_format import (
    FORMAT,
    MANIFEST,
    ArchiveCorruptError,
    ArchivedMonth,
    ArchiveError,
    Entry,
    Generation,
    safe_member,
    sha256_file,
)
from sec_assets.diskerrors import disk_errors
from sec_assets.files import fsync_dir, write_durable


def write_generation(
    gen: Generation,
    dataset: str,
    month: str,
    files: dict[str, Path],
    compresslevel: int,
    now: datetime | None,
) -> str:
    """Write, fsync and verify the archive under a temporary name, then publish it and its
    sidecar (the sidecar last: it marks the generation complete). Returns its sha256."""
    entries = [
        Entry(rel, files[rel].stat().st_size, sha256_file(files[rel])) for rel in sorted(files)
    ]
    created = now or datetime.now(UTC)
    manifest = {
        "format": FORMAT,
        "dataset": dataset,
        "month": month,
        "generation": gen.number,
        "created_at": created.isoformat(),
        "count": len(entries),
        "bytes": sum(e.size for e in entries),
        "files": [asdict(e) for e in entries],
    }
    tag = uuid.uuid4().hex[:8]
    tmp = gen.path.with_name(f".tmp-{tag}-{gen.path.name}")
    with disk_errors(gen.path, "the bronze archive"):
        gen.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            write_tar(
                tmp,
                orjson.dumps(manifest, option=orjson.OPT_INDENT_2),
                files,
                compresslevel,
                created,
            )
            sha = sha256_file(tmp)
            checked = {e.path: e.sha256 for e, _, _ in Generation(tmp, gen.number).members()}
            if checked != {e.path: e.sha256 for e in entries}:
                raise ArchiveCorruptError(
                    f"{tmp}: members differ from the manifest; nothing deleted"
                )
            for rel, digest in checked.items():
                if sha256_file(files[rel]) != digest:
                    raise ArchiveCorruptError(
                        f"{files[rel]} changed while archiving; nothing deleted"
                    )
            publish_new(tmp, gen.path)
            write_sidecar(gen, sha)
            return sha
        finally:
            tmp.unlink(missing_ok=True)


def write_sidecar(gen: Generation, sha: str) -> None:
    """Publish ``<sha>  <name>`` as the generation's sidecar; refuses to replace one."""
    tmp = gen.path.with_name(f".tmp-{uuid.uuid4().hex[:8]}-{gen.sidecar.name}")
    try:
        write_durable(tmp, f"{sha}  {gen.path.name}\n".encode())
        publish_new(tmp, gen.sidecar)
    finally:
        tmp.unlink(missing_ok=True)


def publish_new(tmp: Path, final: Path) -> None:
    """Give ``tmp`` the name ``final`` only if no file has it (``link`` is atomic and never
    replaces); never ``os.replace`` onto an archive."""
    try:
        os.link(tmp, final)
    except FileExistsError:
        raise ArchiveError(f"{final} already exists; an archive is never overwritten") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
            raise
        if final.exists():  # a file system without hard links: check, then rename (locked)
            raise ArchiveError(f"{final} already exists; an archive is never overwritten") from None
        os.rename(tmp, final)
    tmp.unlink(missing_ok=True)
    fsync_dir(final.parent)


def rederive_sidecar(archive: Path) -> tuple[Path, str]:
    """Write the sidecar of an archive whose sidecar is missing or wrong: the archive is read
    whole and every member checked against its manifest first; a corrupt archive raises
    :class:`ArchiveCorruptError` and nothing is written. Returns the sidecar and the sha256."""
    archive = Path(archive)
    if not archive.is_file():
        raise ArchiveError(f"{archive}: no such archive")
    gen = Generation(archive, 0)
    for _ in gen.members():  # raises on any member that does not match the manifest
        pass
    sha = sha256_file(archive)
    with disk_errors(gen.sidecar, "the bronze archive"):
        if gen.sidecar.exists():
            gen.sidecar.rename(
                gen.sidecar.with_name(f"{gen.sidecar.name}.bad-{uuid.uuid4().hex[:6]}")
            )
        write_sidecar(gen, sha)
    return gen.sidecar, sha


def extract(archived: ArchivedMonth, dataset_dir: Path) -> list[Entry]:
    """Write every archived file under ``dataset_dir`` (which should be empty), verified."""
    written: list[Entry] = []
    for gen in archived.generations():
        gen.verify_checksum()
        for entry, data, mtime in gen.members():
            target = dataset_dir / safe_member(entry.path, archived.month)
            with disk_errors(target, "the bronze month being restored"):
                target.parent.mkdir(parents=True, exist_ok=True)
                write_durable(target, data)
            os.utime(target, (mtime, mtime))
            written.append(entry)
    return written


def write_tar(
    path: Path, manifest: bytes, files: dict[str, Path], compresslevel: int, created: datetime
) -> None:
    """Deterministic gzip header (no name, mtime 0); PAX tar; members in path order."""
    with open(path, "wb") as raw:
        with (
            gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, compresslevel=compresslevel, mtime=0
            ) as gz,
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            tar.addfile(
                _tar_info(MANIFEST, len(manifest), int(created.timestamp())), io.BytesIO(manifest)
            )
            for rel in sorted(files):
                with open(files[rel], "rb") as fh:
                    st = os.fstat(fh.fileno())
                    tar.addfile(_tar_info(rel, st.st_size, int(st.st_mtime)), fh)
        raw.flush()
        os.fsync(raw.fileno())


def _tar_info(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, mtime, 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
