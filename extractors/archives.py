"""Unpacking zip members and gzip files within the limits of ``extractors.limits``.

A zip member is checked twice: by the sizes its headers declare, before anything is unpacked,
and, while it is unpacked, by the bytes that came out against the packed bytes read so far,
since headers can lie. A gzip file declares no size that can be trusted, so it is checked
while unpacking only. Unpacking stops at the first chunk past a limit: a bomb is refused after
about 8 MB (the ratio check) instead of filling the memory.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Protocol, Self

from extractors.limits import check_unpacked
from models.errors import InputError

# Small reads keep the packed bytes read ahead small, so the ratio of what came out to what was
# read in is close to the true one.
_CHUNK = 1 << 16
_COPY_CHUNK = 1 << 20  # unpacking into a file: fewer, larger writes
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError)


class _Unpacking(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class LimitedStream:
    """A binary stream unpacked from ``raw`` (the packed file, opened by us), counted as it is
    read: ``packed_start`` is where its packed bytes begin in ``raw``."""

    def __init__(self, unpacked: _Unpacking, raw: IO[bytes], *, packed_start: int, where: str):
        self._unpacked, self._raw = unpacked, raw
        self._packed_start, self._where = packed_start, where
        self._count = 0

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative), within the limits."""
        if size >= 0:
            return self._counted(self._unpacked.read(size))
        return b"".join(iter(lambda: self.read(_CHUNK), b""))

    def _counted(self, data: bytes) -> bytes:
        self._count += len(data)
        packed = self._raw.tell() - self._packed_start
        check_unpacked(self._count, packed, where=self._where)
        return data

    def close(self) -> None:
        """Close the unpacking stream (``raw`` is closed by its owner)."""
        self._unpacked.close()


class ZipInput:
    """A zip file read member by member within the limits; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._raw = path.open("rb")
        try:
            self._archive = zipfile.ZipFile(self._raw)
        except _DAMAGED as error:
            self._raw.close()
            raise InputError(f"{path} is not a readable zip file ({error}).") from error

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self._archive.close()
        self._raw.close()

    def names(self) -> list[str]:
        """The names of the archive's members, in archive order."""
        return self._archive.namelist()

    def read(self, name: str) -> bytes:
        """The unpacked bytes of member ``name``."""
        with self._member(name) as stream:
            return stream.read()

    def copy_to(self, name: str, target: Path) -> None:
        """Unpack member ``name`` into the file ``target``, a chunk at a time."""
        with self._member(name) as stream, target.open("wb") as out:
            while chunk := stream.read(_COPY_CHUNK):
                out.write(chunk)

    def check_all(self) -> None:
        """Unpack every member to nowhere, so a later reader (openpyxl) that unpacks by itself
        meets no member beyond the limits."""
        for name in self.names():
            with self._member(name) as stream:
                while stream.read(_CHUNK):
                    pass

    @contextmanager
    def _member(self, name: str) -> Iterator[LimitedStream]:
        where = f"{self.path.name}, member {name}"
        info = self._archive.getinfo(name)
        check_unpacked(info.file_size, info.compress_size, where=where)
        try:
            with self._archive.open(info) as member:
                yield LimitedStream(member, self._raw, packed_start=info.header_offset, where=where)
        except _DAMAGED as error:
            raise InputError(
                f"{where} is damaged ({error}): unpack it with another tool to check it, or "
                "export it again."
            ) from error


@contextmanager
def open_gzip(path: Path) -> Iterator[LimitedStream]:
    """The unpacked stream of a gzip file, counted against the limits as it is read."""
    with path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as unpacked:
        try:
            yield LimitedStream(unpacked, raw, packed_start=0, where=path.name)
        except _DAMAGED as error:
            raise InputError(f"{path} is not a readable gzip file ({error}).") from error


def copy_gzip(path: Path, target: Path) -> None:
    """Unpack a gzip file into the file ``target``, a chunk at a time, within the limits."""
    with open_gzip(path) as stream, target.open("wb") as out:
        while chunk := stream.read(_COPY_CHUNK):
            out.write(chunk)


def read_gzip(path: Path) -> bytes:
    """All unpacked bytes of a gzip file, within the limits."""
    with open_gzip(path) as stream:
        return stream.read()
