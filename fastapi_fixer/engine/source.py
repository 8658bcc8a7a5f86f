"""Reading and writing source files without losing encoding, BOM, line endings or mode."""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import os
import stat
import tempfile
import tokenize
from dataclasses import dataclass


class SourceError(Exception):
    """A file that cannot be read or written; the message is the one-line reason."""


@dataclass(frozen=True)
class SourceFile:
    path: str
    text: str
    encoding: str  # as Python names it; "utf-8-sig" when the file starts with a BOM
    digest: str  # sha256 of the bytes as read, to detect changes before writing
    new: bool = False  # a file a fix creates: written only if it still does not exist


def digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_source(path: str, data: bytes) -> SourceFile:
    if b"\x00" in data:
        raise SourceError("binary file (contains NUL bytes)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(f"invalid encoding declaration: {exc}") from exc
    if encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"not valid {encoding}: {exc}") from exc
    return SourceFile(path=path, text=text, encoding=encoding, digest=digest_bytes(data))


def read_source(path: str) -> SourceFile:
    """The file's text; a FIFO, device or directory is refused without blocking on it."""
    return decode_source(path, read_bytes(path))


def file_digest(path: str) -> str | None:
    """The content hash of a file read as bytes (one that is not text, say), or None when it
    cannot be read."""
    try:
        return digest_bytes(read_bytes(path))
    except SourceError:
        return None


def read_bytes(path: str) -> bytes:
    """The file's bytes; a FIFO, device or directory is refused without blocking on it."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise SourceError(f"cannot read: {kind}")
        with os.fdopen(fd, "rb") as handle:
            fd = -1  # the handle owns it now
            data = handle.read()
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from exc
    finally:
        if fd >= 0:
            os.close(fd)
    return data


def encode_source(source: SourceFile, text: str) -> bytes:
    try:
        return text.encode(source.encoding)
    except UnicodeEncodeError as exc:
        raise SourceError(f"fixed text cannot be encoded as {source.encoding}: {exc}") from exc


def write_source(source: SourceFile, text: str) -> None:
    """Atomically replace the file, keeping its mode; refuse if it changed since it was read."""
    if source.new:
        _create_source(source, text)
        return
    real = os.path.realpath(source.path)
    try:
        info = os.stat(real)
    except OSError as exc:
        raise SourceError(f"cannot write: {exc.strerror or exc}") from exc
    if not info.st_mode & stat.S_IWUSR:
        raise SourceError("file is read-only; not written")
    data = encode_source(source, text)
    try:
        with open(real, "rb") as handle:
            current = handle.read()
    except OSError as exc:
        raise SourceError(f"cannot re-read before writing: {exc.strerror or exc}") from exc
    if digest_bytes(current) != source.digest:
        raise SourceError("file changed on disk since it was read; not overwritten")
    directory = os.path.dirname(real) or "."
    fd, tmp = tempfile.mkstemp(prefix=".fastapi-fix-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IMODE(info.st_mode))
        os.replace(tmp, real)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise SourceError(f"cannot write: {exc.strerror or exc}") from exc


def _create_source(source: SourceFile, text: str) -> None:
    """Create a file a fix added; refuse if something appeared at its path meanwhile."""
    data = encode_source(source, text)
    try:
        fd = os.open(
            source.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644
        )
    except FileExistsError as exc:
        raise SourceError("file appeared on disk since the run started; not overwritten") from exc
    except OSError as exc:
        raise SourceError(f"cannot create: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
