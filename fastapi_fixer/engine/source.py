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


class WriteError(SourceError):
    """One file of a group written together (`write_together`) could not be written: the
    message is the reason, ``path`` the file."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path = path


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


def text_source(path: str, text: str) -> SourceFile:
    """A file's text given in memory (an editor's unsaved buffer): UTF-8, hashed as its UTF-8
    bytes, so a buffer equal to a UTF-8 file on disk has the file's digest."""
    return SourceFile(path, text, "utf-8", digest_bytes(text.encode("utf-8", "surrogatepass")))


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
    write_together([(source, text)])


@dataclass
class _Staged:
    """A write made ready: for an existing file, its new bytes in a temporary file next to it
    (``temp``) and the bytes it replaces; for a new file, the bytes to create it with."""

    named: str  # the path as the run names it
    path: str  # the file itself (a symlink's target)
    data: bytes
    temp: str | None = None
    original: bytes | None = None  # None: a file a fix creates


def write_together(files: list[tuple[SourceFile, str]]) -> None:
    """Write every file or none (a fix that spans files is written whole or not at all): each
    is checked and staged first (refused when read-only, changed on disk since it was read, not
    encodable, or for a new file, when something appeared at its path); then new files are
    created and the others replaced, each atomically. If one of those steps fails, the files
    already written are put back as they were. Raises `WriteError` for the file that failed."""
    staged: list[_Staged] = []
    try:
        for source, text in files:
            try:
                staged.append(_stage(source, text))
            except SourceError as exc:
                raise WriteError(source.path, str(exc)) from exc
        _commit(staged)
    finally:
        for item in staged:
            if item.temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(item.temp)


def _stage(source: SourceFile, text: str) -> _Staged:
    data = encode_source(source, text)
    if source.new:
        if os.path.lexists(source.path):
            raise SourceError("file appeared on disk since the run started; not overwritten")
        return _Staged(source.path, source.path, data)
    real = os.path.realpath(source.path)
    try:
        info = os.stat(real)
    except OSError as exc:
        raise SourceError(f"cannot write: {exc.strerror or exc}") from exc
    if not info.st_mode & stat.S_IWUSR:
        raise SourceError("file is read-only; not written")
    try:
        with open(real, "rb") as handle:
            current = handle.read()
    except OSError as exc:
        raise SourceError(f"cannot re-read before writing: {exc.strerror or exc}") from exc
    if digest_bytes(current) != source.digest:
        raise SourceError("file changed on disk since it was read; not overwritten")
    try:
        temp = _temporary(real, data, stat.S_IMODE(info.st_mode))
    except OSError as exc:
        raise SourceError(f"cannot write: {exc.strerror or exc}") from exc
    return _Staged(source.path, real, data, temp, current)


def _temporary(path: str, data: bytes, mode: int) -> str:
    """``data`` in a new temporary file in ``path``'s folder, with ``mode``, synced."""
    fd, temp = tempfile.mkstemp(
        prefix=".fastapi-fix-", suffix=".tmp", dir=os.path.dirname(path) or "."
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return temp


def _commit(staged: list[_Staged]) -> None:
    done: list[_Staged] = []
    for item in sorted(staged, key=lambda item: item.original is not None):  # new files first
        try:
            if item.original is None:
                _create(item.path, item.data)
            else:
                assert item.temp is not None
                os.replace(item.temp, item.path)
                item.temp = None
        except (OSError, SourceError) as exc:
            _undo(done)
            reason = str(exc) if isinstance(exc, SourceError) else f"cannot write: {exc.strerror}"
            raise WriteError(item.named, reason) from exc
        done.append(item)


def _create(path: str, data: bytes) -> None:
    """Create a file a fix added; refuse if something appeared at its path meanwhile."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    except FileExistsError as exc:
        raise SourceError("file appeared on disk since the run started; not overwritten") from exc
    except OSError as exc:
        raise SourceError(f"cannot create: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _undo(done: list[_Staged]) -> None:
    """Put back the files of a group written before one of them failed (best effort)."""
    for item in reversed(done):
        with contextlib.suppress(OSError):
            if item.original is None:
                os.unlink(item.path)
            else:
                mode = stat.S_IMODE(os.stat(item.path).st_mode)
                os.replace(_temporary(item.path, item.original, mode), item.path)
