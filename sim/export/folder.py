"""The output folder of ``python -m sim run|export --out DIR``: complete sets, one writer.

``--out`` may be a folder that holds the user's own files (even ``--out .``), a run may be
interrupted (Ctrl-C, ``kill``) and two runs may be started into one folder. With
:class:`OutputFolder` the folder then holds either the previous complete set of files or the
new complete set, never a mix, and the lab removes or replaces only files it wrote itself.

How
---
1. :meth:`OutputFolder.open`, before training: create DIR (and its missing parents), really
   create and remove a probe file there (root ignores permission bits, a read-only mount
   does not), and take an exclusive ``fcntl.flock`` on ``DIR/.initlab.lock``, which holds
   the pid. A second run finds the lock taken and stops with :class:`FolderBusy`. The OS
   drops the lock when its process ends, however it ends: a killed run never leaves a stale
   lock.
2. :meth:`OutputFolder.stage`: a temporary folder ``DIR/.initlab-tmp-XXXXXXXX`` where every
   file is written. It is inside DIR rather than beside it: the same file system even when DIR
   is a mount point, and DIR's parent need not be writable (``--out .``, ``--out ~``).
3. :meth:`OutputFolder.commit`, with SIGINT and SIGTERM held back until it is done: write the
   manifest ``DIR/.initlab-files`` naming the previous set and the new one, ``os.replace``
   each new file into DIR (a rename within one file system: atomic per file), remove the
   previous set's files that the new set does not replace, then write the manifest of the
   new set. Files the manifest does not name are never touched; a user's own file with the
   name of a lab file (``config.json``, ...) is replaced, as ``--out`` always did.
4. :meth:`OutputFolder.close`, also after any error or interrupt: remove the temporary folder,
   delete the lock file and release the lock, and remove the folders ``open`` created if
   nothing was committed and they are still empty.

Signals are held back by Python-level handlers that only note the signal (it is delivered
when the commit is over), not by ``signal.pthread_sigmask``: the mask is per thread, so a
signal that the kernel hands to another thread (tqdm's monitor, kaleido's) would still run
the main thread's handler in the middle of the commit.

A run killed by SIGKILL or a power cut can leave a temporary folder (the next run that takes
the lock removes it) and, if it died in the middle of step 3, a mix of files; the manifest
then names every lab file there, so the next run replaces or removes them all. Files are not
fsync'ed: the guarantee is against interrupts and concurrent runs, not a crash of the machine.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".initlab.lock"
MANIFEST_NAME = ".initlab-files"
TEMP_PREFIX = ".initlab-tmp-"
_PROBE_PREFIX = ".initlab-probe-"
_MANIFEST_HEAD = "# Files Init Lab wrote here; its next run into this folder replaces them.\n"


class FolderError(Exception):
    """The folder cannot be used; ``str(exc)`` says why, in one line."""


class FolderNotWritable(FolderError):
    """DIR cannot be created or written (read-only, no permission, a file...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot write there ({reason})")
        self.reason = reason


class FolderBusy(FolderError):
    """Another process holds DIR's lock."""

    def __init__(self, pid: int | None) -> None:
        who = f"another Init Lab run (pid {pid})" if pid else "another Init Lab run"
        super().__init__(f"{who} is writing there; wait for it or choose another folder")
        self.pid = pid


class OutputFolder:
    """A folder that receives complete sets of files, one writer at a time.

    Use as ``with OutputFolder(path) as out:`` (which opens it), write into ``out.stage()``,
    then ``out.commit()`` (see the module docstring). Every step records what it made before
    a signal can stop it, and signals are held back while it runs, so :meth:`close` can always
    undo an unfinished one: call it however the work ends. ``committed`` says whether the new
    set is in place; ``changed`` without ``committed`` means that the commit failed halfway
    (an OS error: a signal cannot stop it) and DIR may hold a mix.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.committed = False
        self.changed = False  # DIR itself was touched (only a failed commit leaves it so)
        self._lock_fd: int | None = None
        self._stage: Path | None = None
        self._created: list[Path] = []  # folders open() made, deepest first

    # ------------------------------------------------------------------ open
    def open(self) -> OutputFolder:
        """Create the folder if needed, check that files can be made there, take its lock.

        On any error or interrupt it closes again before raising.

        Raises
        ------
        FolderNotWritable
            When the folder cannot be created or a file cannot be created in it.
        FolderBusy
            When another process holds the folder's lock.
        """
        try:
            with deferred_signals():
                self._make_dirs()
                self._probe()
                self._lock()
                self._remove_stale_stages()
        except OSError as exc:  # e.g. the disk is full: the lock's pid cannot be written
            self.close()
            raise FolderNotWritable(_reason(exc)) from None
        except BaseException:
            self.close()
            raise
        return self

    def _make_dirs(self) -> None:
        missing = []
        p = self.path.absolute()
        while not p.exists() and p != p.parent:
            missing.append(p)
            p = p.parent
        self._created = missing
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            if self.path.exists() and not self.path.is_dir():
                raise FolderNotWritable("it is a file, not a folder") from None
            raise FolderNotWritable(_reason(exc)) from None

    def _probe(self) -> None:
        try:
            fd, name = tempfile.mkstemp(prefix=_PROBE_PREFIX, dir=self.path)
            os.close(fd)
            os.unlink(name)
        except OSError as exc:
            raise FolderNotWritable(_reason(exc)) from None

    def _lock(self) -> None:
        lock = self.path / LOCK_NAME
        while True:
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise FolderNotWritable(_reason(exc)) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = _read_pid(fd)
                os.close(fd)
                raise FolderBusy(pid) from None
            # The holder deletes the lock file before it lets go (close()): if that happened
            # between our open and our flock, we hold the lock of a deleted file; try again.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(lock))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self._lock_fd = fd
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())

    def _remove_stale_stages(self) -> None:
        """Temporary folders of runs that were killed: no live run has one while we hold
        the lock."""
        with os.scandir(self.path) as entries:
            stale = [e.path for e in entries
                     if e.name.startswith(TEMP_PREFIX) and e.is_dir(follow_symlinks=False)]
        for p in stale:
            shutil.rmtree(p, ignore_errors=True)

    # ------------------------------------------------------------------ write
    def stage(self) -> Path:
        """A new, empty temporary folder inside DIR to write the files into."""
        assert self._lock_fd is not None and self._stage is None, "open() it, stage once"
        with deferred_signals():
            while True:
                # Named here and recorded before it exists, so that close() removes it
                # whatever happens.
                self._stage = self.path / (TEMP_PREFIX + secrets.token_hex(4))
                try:
                    self._stage.mkdir(mode=0o700)
                    return self._stage
                except FileExistsError:
                    continue

    def commit(self) -> list[Path]:
        """Move the staged files into DIR in place of the previous set; return their paths.

        Raises
        ------
        OSError
            When DIR cannot take them (e.g. a folder there has a new file's name); checked
            before anything moves.
        """
        assert self._stage is not None and not self.committed, "stage() first, commit once"
        stage = self._stage
        with os.scandir(stage) as entries:
            names = sorted(e.name for e in entries if e.is_file(follow_symlinks=False))
        for name in names:
            if (self.path / name).is_dir():
                raise IsADirectoryError(errno.EISDIR, "a folder has the name of a file to "
                                        "write", str(self.path / name))
        with deferred_signals():
            previous = self._read_manifest()
            self.changed = True
            self._write_manifest(sorted(set(previous) | set(names)))
            for name in names:
                os.replace(stage / name, self.path / name)
            for name in sorted(set(previous) - set(names)):
                _remove_file(self.path / name)
            self._write_manifest(names)
            self.committed = True
        return [self.path / name for name in names]

    def _read_manifest(self) -> list[str]:
        try:
            text = (self.path / MANIFEST_NAME).read_text(encoding="utf-8",
                                                         errors="surrogateescape")
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if _is_lab_file_name(line)]

    def _write_manifest(self, names: list[str]) -> None:
        assert self._stage is not None
        tmp = self._stage / MANIFEST_NAME
        tmp.write_text(_MANIFEST_HEAD + "".join(f"{n}\n" for n in names), encoding="utf-8",
                       errors="surrogateescape")
        os.replace(tmp, self.path / MANIFEST_NAME)

    # ------------------------------------------------------------------ close
    def close(self) -> None:
        """Remove the temporary folder and release the lock (safe to call twice)."""
        with deferred_signals():
            if self._stage is not None:
                shutil.rmtree(self._stage, ignore_errors=True)
                self._stage = None
            if self._lock_fd is not None:
                with contextlib.suppress(OSError):
                    os.unlink(self.path / LOCK_NAME)  # while still holding it: see _lock
                os.close(self._lock_fd)
                self._lock_fd = None
            if not self.committed:
                for p in self._created:
                    try:
                        p.rmdir()  # only when empty
                    except FileNotFoundError:
                        continue
                    except OSError:
                        break
            self._created = []

    def __enter__(self) -> OutputFolder:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip())
    except (OSError, ValueError):  # e.g. read while the holder was writing it
        return None


def _is_lab_file_name(name: str) -> bool:
    """A manifest line that can name a file the lab wrote: a plain name in DIR."""
    return (bool(name) and not name.startswith(("#", ".initlab")) and name not in (".", "..")
            and "/" not in name and os.sep not in name and "\0" not in name)


def _remove_file(path: Path) -> None:
    """Remove a regular file; leave anything else (a folder, a link the user made)."""
    try:
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)
    except FileNotFoundError:
        pass


@contextlib.contextmanager
def deferred_signals(signums: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)
                     ) -> Iterator[None]:
    """Hold SIGINT and SIGTERM back inside the block, then deliver those that came.

    Outside the main thread (where Python runs no signal handler) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {s: signal.signal(s, lambda s, _frame: pending.append(s)) for s in signums}
    try:
        yield
    finally:
        for s, handler in previous.items():
            # None: a handler not set from Python, which cannot be put back; the default
            # is the closest.
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
        for s in dict.fromkeys(pending):
            signal.raise_signal(s)  # now handled as it would have been: raise, exit, ignore


__all__ = [
    "LOCK_NAME",
    "MANIFEST_NAME",
    "TEMP_PREFIX",
    "FolderBusy",
    "FolderError",
    "FolderNotWritable",
    "OutputFolder",
    "deferred_signals",
]
