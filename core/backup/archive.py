"""The backup file: a tar archive of three members, in this order.

- ``manifest.json``: what the backup holds (:mod:`core.backup.manifest`), with
  the SHA-256 of the dump;
- ``manifest.json.sha256``: the manifest's own SHA-256, in ``sha256sum`` format;
- the database dump (``database.sqlite3`` or ``database.pgdump``).

Reading it back refuses a file with any byte changed, not only the bytes the
checksums cover: each tar header must be exactly the one this module writes
(its own checksum misses two bytes), the padding and the end-of-archive
blocks must be zeros, and the file must end where ``tarfile`` ends it (on a
whole 10 KiB record). So a flipped bit anywhere, a file cut short or one with
something appended is ``BACKUP_CORRUPT``, before anything is restored. (The
checksums detect damage, not a forger: keep backups where only the bank can
write them.)
"""

from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path
from typing import BinaryIO

from core.backup.errors import BackupError, corrupt
from core.backup.manifest import Manifest

MANIFEST = "manifest.json"
CHECKSUM = "manifest.json.sha256"
MAX_MANIFEST_BYTES = 1 << 20
CHUNK = 1 << 20
BLOCK = tarfile.BLOCKSIZE
_FORMAT = tarfile.USTAR_FORMAT
_ENCODING = "utf-8"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _checksum_line(manifest: bytes) -> bytes:
    return f"{hashlib.sha256(manifest).hexdigest()}  {MANIFEST}\n".encode()


def write_archive(destination: Path, manifest: Manifest, dump: Path) -> None:
    """Write a new file ``destination`` (readable by its owner only: it holds
    customers' data and password hashes)."""
    document = manifest.to_json()
    descriptor = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with (
        os.fdopen(descriptor, "wb") as file,
        tarfile.open(fileobj=file, mode="w", format=_FORMAT, encoding=_ENCODING) as archive,
    ):
        mtime = int(manifest.created_at.timestamp())
        for name, data in ((MANIFEST, document), (CHECKSUM, _checksum_line(document))):
            archive.addfile(_member(name, len(data), mtime), _Bytes(data))
        with dump.open("rb") as source:
            archive.addfile(_member(manifest.dump_name, manifest.dump_size, mtime), source)


def _member(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.size, member.mtime, member.mode = size, mtime, 0o600
    return member


class _Bytes:
    """The smallest file-like object ``TarFile.addfile`` reads from."""

    def __init__(self, data: bytes) -> None:
        self._data, self._at = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._at + size
        chunk, self._at = self._data[self._at : end], min(end, len(self._data))
        return chunk


def read_archive(source: Path, folder: Path) -> tuple[Manifest, Path]:
    """Verify the backup ``source`` whole and unpack its dump into ``folder``;
    its manifest and the dump's path. Raises :class:`BackupError`."""
    try:
        file = source.open("rb")
    except FileNotFoundError:
        raise BackupError("BACKUP_NOT_FOUND", f"there is no backup file {source}") from None
    except OSError as error:
        raise BackupError("BACKUP_UNREADABLE", f"cannot read {source}: {error}") from None
    with file:
        try:
            with tarfile.open(fileobj=file, mode="r:", encoding=_ENCODING) as archive:
                members = archive.getmembers()
        except tarfile.TarError as error:
            raise corrupt(f"it is not a whole tar archive: {error}") from None
        if [member.name for member in members[:2]] != [MANIFEST, CHECKSUM] or len(members) != 3:
            raise corrupt("it does not hold a manifest, its checksum and one database dump")
        _check_every_byte_outside_the_data(file, members, os.fstat(file.fileno()).st_size)
        document = _read(file, members[0], MAX_MANIFEST_BYTES)
        if _read(file, members[1], BLOCK) != _checksum_line(document):
            raise corrupt("its manifest does not match the manifest's checksum")
        manifest = Manifest.from_json(document)
        dump = members[2]
        if dump.name != manifest.dump_name or dump.size != manifest.dump_size:
            raise corrupt("its database dump is not the one the manifest names")
        path = folder / manifest.dump_name
        if _unpack(file, dump, path) != manifest.dump_sha256:
            raise corrupt("its database dump does not match the manifest's checksum")
    return manifest, path


def _check_every_byte_outside_the_data(
    file: BinaryIO, members: list[tarfile.TarInfo], size: int
) -> None:
    """Headers exactly as written, zeros between and after the members, nothing appended."""
    end = 0
    for member in members:
        if not member.isreg() or member.offset != end or member.offset_data != end + BLOCK:
            raise corrupt(f"its member {member.name!r} is not laid out as written")
        file.seek(member.offset)
        if file.read(BLOCK) != member.tobuf(_FORMAT, _ENCODING, "surrogateescape"):
            raise corrupt(f"the tar header of {member.name!r} was changed")
        data_end = member.offset_data + member.size
        end = member.offset_data + -(-member.size // BLOCK) * BLOCK
        if end > size:
            raise corrupt("it is cut short")
        _expect_zeros(file, data_end, end)
    trailer = size - end
    if size % tarfile.RECORDSIZE or not 2 * BLOCK <= trailer < 2 * BLOCK + tarfile.RECORDSIZE:
        raise corrupt("it is cut short, or something was added after its end")
    _expect_zeros(file, end, size)


def _expect_zeros(file: BinaryIO, start: int, end: int) -> None:
    file.seek(start)
    if file.read(end - start).strip(b"\0"):
        raise corrupt("bytes outside its members were changed")


def _read(file: BinaryIO, member: tarfile.TarInfo, limit: int) -> bytes:
    if member.size > limit:
        raise corrupt(f"its {member.name} is too large")
    file.seek(member.offset_data)
    return file.read(member.size)


def _unpack(file: BinaryIO, member: tarfile.TarInfo, path: Path) -> str:
    """Copy the member's data to a new file ``path``; its SHA-256."""
    digest = hashlib.sha256()
    file.seek(member.offset_data)
    left = member.size
    with path.open("xb") as target:
        while left:
            chunk = file.read(min(CHUNK, left))
            if not chunk:
                raise corrupt("it is cut short")
            digest.update(chunk)
            target.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()
