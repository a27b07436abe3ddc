"""The command line's output folder: checked before training, written whole, one run at a time,
interrupted cleanly; and its progress bar.

The subprocess tests synchronize on what the run leaves in the folder, never on sleeps alone:
the lock file holds the run's pid once it has the folder (before training), and the temporary
folder ``.initlab-tmp-*`` exists exactly while the files are being written.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sim import cli
from sim.config import Config, estimate_cost
from sim.export import write_run_files
from sim.export.folder import (
    LOCK_NAME,
    MANIFEST_NAME,
    TEMP_PREFIX,
    FolderBusy,
    OutputFolder,
)
from sim.train import train_comparison

ROOT = Path(__file__).resolve().parents[1]
RUN_FILES = ["config.json", "metrics.csv", "weights.npz"]

# A training of several seconds: long enough to be interrupted in the middle.
LONG = ["--preset", "deep_tanh", "--seeds", "3", "--epochs", "1000"]
# Quick to train (~0.5 s), slow to write (~0.6 s: a 20 MB metrics.csv).
SLOW_TO_WRITE = ["--dataset", "toy", "--hidden", "2", "--samples", "16", "--seeds", "10",
                 "--snapshots", "2", "--epochs", "5000"]
OLD = {"dataset": "toy", "hidden": [2], "n_samples": 16, "seeds": 1, "epochs": 7}


def _popen(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def _wait_until(condition, proc: subprocess.Popen, timeout: float = 60) -> bool:
    """Poll ``condition`` every 2 ms; False if ``proc`` ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.002)
    raise AssertionError("timed out waiting for the run")


def _holds_lock(folder: Path, proc: subprocess.Popen) -> bool:
    """The run has taken the folder's lock (it writes its pid into the lock file then)."""
    try:
        return (folder / LOCK_NAME).read_text().strip() == str(proc.pid)
    except FileNotFoundError:
        return False


def _staging(folder: Path) -> bool:
    return any(folder.glob(TEMP_PREFIX + "*"))


def _finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, out, err


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _set_epochs(folder: Path) -> int:
    """The epochs of the complete set of run files in ``folder``, after checking that its
    config.json, metrics.csv, weights.npz and manifest belong together."""
    names = sorted(p.name for p in folder.iterdir() if p.name in RUN_FILES)
    assert names == RUN_FILES, names
    manifest = (folder / MANIFEST_NAME).read_text().splitlines()
    assert [n for n in manifest if not n.startswith("#")] == RUN_FILES
    cfg = Config.from_json((folder / "config.json").read_text())
    with open(folder / "metrics.csv", "rb") as f:  # its last row: last run, last epoch
        head = f.readline().decode().strip()
        f.seek(-min(4096, f.seek(0, 2)), 2)
        last = next(csv.reader([f.read().decode().splitlines()[-1]]))
    assert head == "run,init,seed,epoch,layer,metric,value"
    assert int(last[0]) == cfg.n_runs - 1 and int(last[3]) == cfg.epochs
    with np.load(folder / "weights.npz") as z:
        assert z["snapshot_epochs"][-1] == cfg.epochs
        assert z["W1"].shape[0] == z["run_seed"].size == cfg.n_runs
        assert list(z["init_labels"]) == [s.label for s in cfg.inits]
    return cfg.epochs


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()
                  if p.name == LOCK_NAME or p.name.startswith(TEMP_PREFIX))


@pytest.fixture(scope="module")
def old_result():
    return train_comparison(Config.from_dict(OLD))


def _write_old_set(folder: Path, result) -> None:
    with OutputFolder(folder) as out:
        write_run_files(result, out.stage())
        out.commit()


# ------------------------------------------------------------------------ interrupts


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_during_training_writes_nothing(tmp_path, signum):
    """Ctrl-C (or SIGTERM) while training: one line, exit 128 + signal, the folder untouched,
    and at once (the training had seconds to go)."""
    out = tmp_path / "out"
    p = _popen("run", *LONG, "--out", str(out))
    assert _wait_until(lambda: _holds_lock(out, p), p), p.communicate()
    time.sleep(0.5)  # into the training
    p.send_signal(signum)
    t0 = time.monotonic()
    code, stdout, err = _finish(p)
    assert time.monotonic() - t0 < 5
    assert code == 128 + signum
    assert len(err.splitlines()) == 1, err
    assert err.startswith("python -m sim run: interrupted at epoch ")
    assert err.rstrip().endswith(", nothing written")
    epoch = int(err.split("interrupted at epoch ")[1].split(",")[0])
    assert 0 <= epoch < 1000
    assert stdout == ""
    assert not out.exists()  # it made the folder and removed it again, empty


def test_interrupt_during_training_leaves_the_previous_set(tmp_path, old_result):
    """An interrupted run into a folder that holds a previous set leaves it byte for byte."""
    _write_old_set(tmp_path, old_result)
    (tmp_path / "notes.txt").write_text("mine")
    before = _listing(tmp_path)
    p = _popen("run", *LONG, "--out", str(tmp_path))
    assert _wait_until(lambda: _holds_lock(tmp_path, p), p)
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    code, _, err = _finish(p)
    assert code == 130 and "interrupted at epoch" in err and len(err.splitlines()) == 1
    assert _listing(tmp_path) == before


def test_interrupt_while_writing_leaves_the_old_or_the_new_set(tmp_path, old_result):
    """Signals sent at several moments of the writing: every time, the folder holds either
    the previous complete set or the new one, and the one line says which."""
    (tmp_path / "notes.txt").write_text("mine")
    new_epochs = 5000
    outcomes = []
    for k, delay in enumerate([0, 0, 0.1, 0.3, 0.6, None]):
        _write_old_set(tmp_path, old_result)
        assert _set_epochs(tmp_path) == OLD["epochs"]
        signum = (signal.SIGINT, signal.SIGTERM)[k % 2]
        p = _popen("run", *SLOW_TO_WRITE, "--out", str(tmp_path))
        if delay is not None and _wait_until(lambda p=p: _staging(tmp_path), p):
            time.sleep(delay)
            p.send_signal(signum)
        code, _, err = _finish(p)
        epochs = _set_epochs(tmp_path)
        if code == 0:
            assert err == "" and epochs == new_epochs
            outcomes.append("finished")
        else:
            assert code == 128 + signum and len(err.splitlines()) == 1, err
            if "is unchanged" in err:
                assert err.startswith("python -m sim run: interrupted while writing; ")
                assert epochs == OLD["epochs"]
                outcomes.append("unchanged")
            else:
                assert "holds the complete new set" in err, err
                assert epochs == new_epochs
                outcomes.append("new set")
        assert (tmp_path / "notes.txt").read_text() == "mine"
        assert _leftovers(tmp_path) == []
    # A signal sent as soon as the temporary folder appears lands 0.5 s before the end of
    # the writing: the interrupted-while-writing branch was taken.
    assert "unchanged" in outcomes, outcomes
    assert outcomes[-1] == "finished"


# ------------------------------------------------------------------------ one run at a time


def test_second_run_into_the_same_folder_is_refused(tmp_path):
    """While one run has the folder, a second one stops at once in one line (exit 2); the
    first writes its complete set."""
    first = _popen("run", *LONG[:-2], "--epochs", "200", "--out", str(tmp_path))
    assert _wait_until(lambda: _holds_lock(tmp_path, first), first)
    t0 = time.monotonic()
    # Heavy enough that reaching its training would take long: it is refused before.
    second = _run("run", *LONG, "--out", str(tmp_path), timeout=60)
    assert time.monotonic() - t0 < 15
    assert second.returncode == 2
    assert second.stderr == (
        f"python -m sim run: --out {tmp_path}: another Init Lab run (pid {first.pid}) is "
        "writing there; wait for it or choose another folder\n")
    code, _, err = _finish(first)
    assert code == 0, err
    assert _set_epochs(tmp_path) == 200
    assert _leftovers(tmp_path) == []


def test_lock_is_held_by_one_folder_object_at_a_time(tmp_path):
    """In one process too: the second open() is refused with this process's pid, and after
    the first closes the folder can be opened again (the lock dies with its holder)."""
    first = OutputFolder(tmp_path).open()
    with pytest.raises(FolderBusy) as info:
        OutputFolder(tmp_path).open()
    assert info.value.pid == os.getpid()
    first.close()
    assert not (tmp_path / LOCK_NAME).exists()
    OutputFolder(tmp_path).open().close()


def test_a_killed_run_leaves_no_stale_lock(tmp_path):
    """SIGKILL (no cleanup at all): the next run takes the folder, and removes the killed
    run's temporary folder if it had one."""
    p = _popen("run", *LONG, "--out", str(tmp_path))
    assert _wait_until(lambda: _holds_lock(tmp_path, p), p)
    p.kill()
    _finish(p)
    assert (tmp_path / LOCK_NAME).exists()  # left behind, but nobody holds it
    (tmp_path / (TEMP_PREFIX + "dead")).mkdir()
    r = _run("run", "--epochs", "3", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert _set_epochs(tmp_path) == 3 and _leftovers(tmp_path) == []


# ------------------------------------------------------------------------ the user's files


def test_users_own_files_are_kept(tmp_path, capsys, monkeypatch):
    """`--out .` in a folder of the user's files: they stay; the lab replaces and removes
    only what it wrote (its manifest lists that)."""
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("1,2")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "--epochs", "3", "--out", "."]) == 0
    assert "wrote config.json, metrics.csv, weights.npz" in capsys.readouterr().out
    assert _set_epochs(tmp_path) == 3
    assert cli.main(["export", "--epochs", "4", "--out", ".", "--format", "csv,json"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    # weights.npz was the previous run's: the new set has none, so it went.
    assert names == [MANIFEST_NAME, "config.json", "data", "metrics.csv", "notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "data" / "x.csv").read_text() == "1,2"
    assert json.loads((tmp_path / "config.json").read_text())["epochs"] == 4


def test_files_are_written_when_stdout_is_closed(tmp_path):
    """`run --out DIR | head`: the table's reader went away, the files are still written."""
    p = _popen("run", "--epochs", "3", "--out", str(tmp_path))
    p.stdout.close()  # before the table is printed: its write fails with a broken pipe
    _, err = p.communicate(timeout=60)
    assert p.returncode == 0 and err == ""
    assert _set_epochs(tmp_path) == 3


def test_manifest_names_only_files_in_the_folder(tmp_path, old_result):
    """A manifest line naming a path elsewhere, a lab file or a folder removes nothing."""
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "sub").mkdir()
    (folder / MANIFEST_NAME).write_text(
        f"# hand-edited\n../outside.txt\n{outside}\nsub\n{LOCK_NAME}\n.\n\nold.csv\n")
    (folder / "old.csv").write_text("a lab file of a previous run")
    _write_old_set(folder, old_result)
    assert outside.read_text() == "keep" and (folder / "sub").is_dir()
    assert not (folder / "old.csv").exists()
    assert sorted(p.name for p in folder.iterdir()) == sorted([MANIFEST_NAME, "sub", *RUN_FILES])


def test_failed_writing_leaves_the_folder_unchanged(tmp_path, old_result, monkeypatch, capsys):
    """An error while writing (here: a full disk) is one line; the previous set stays."""
    _write_old_set(tmp_path, old_result)
    before = _listing(tmp_path)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("sim.export.data.np.savez", disk_full)
    assert cli.main(["run", "--epochs", "3", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == (f"python -m sim run: cannot write the files (No space left on device); "
                   f"{tmp_path} is unchanged\n")
    assert _listing(tmp_path) == before


# ------------------------------------------------------------------------ writable before training


def test_read_only_out_is_refused_before_training(tmp_path, monkeypatch, capsys):
    """A file cannot be created in --out (a read-only mount): one line, exit 2, and the
    folder it had to create is gone again."""
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr("sim.export.folder.tempfile.mkstemp", read_only)
    out = tmp_path / "a" / "b"
    assert cli.main(["run", "--epochs", "100000", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"python -m sim run: --out {out}: cannot write there (Read-only file system)\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_unwritable_system_folder_fails_fast():
    """A real folder where no file can be created, even by root (/proc/self): refused before a
    training that would take most of a minute."""
    t0 = time.monotonic()
    r = _run("export", *LONG, "--out", "/proc/self", "--format", "csv", timeout=60)
    assert time.monotonic() - t0 < 15
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("python -m sim export: --out /proc/self: cannot write there (")
    assert len(r.stderr.splitlines()) == 1


# ------------------------------------------------------------------------ the npz


def test_npz_is_stored_and_loads_the_same(tmp_path, old_result):
    """weights.npz is a standard npz whose arrays are stored (compression does not pay for
    itself on weights; see sim.export.data.NPZ_COMPRESSED)."""
    write_run_files(old_result, tmp_path)
    with zipfile.ZipFile(tmp_path / "weights.npz") as zf:
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}
    with np.load(tmp_path / "weights.npz") as z:
        np.testing.assert_array_equal(z["W1"], old_result.history.weights[0])
        assert list(z.files)[:3] == ["snapshot_epochs", "W1", "b1"]


# ------------------------------------------------------------------------ progress bar


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("quiet,tty,seconds,shown", [
    (False, True, 5.0, True),
    (False, True, 0.5, False),    # over before anyone waits
    (False, False, 5.0, False),   # piped or redirected
    (True, True, 5.0, False),     # --quiet
])
def test_progress_bar_decision(quiet, tty, seconds, shown):
    """A bar only on a terminal, without --quiet, for a training of over PROGRESS_AFTER s."""
    assert cli.show_progress(quiet, _Stream(tty), seconds) is shown
    assert cli.PROGRESS_AFTER == 1.0


BAR_RUN = ["run", "--preset", "deep_tanh", "--seeds", "3", "--epochs", "60"]


def test_bar_run_is_long_enough_for_a_bar():
    """The runs below would show a bar on a terminal (else they would prove nothing)."""
    from sim.presets import PRESETS

    cfg = PRESETS["deep_tanh"].config().replace(seeds=3, epochs=60)
    assert estimate_cost(cfg)[0] > cli.PROGRESS_AFTER


def test_piped_stderr_gets_no_bar():
    """Piped, stderr stays empty."""
    r = _run(*BAR_RUN)
    assert r.returncode == 0 and r.stderr == ""


def _on_a_terminal(*args: str) -> str:
    """Run with stderr on a pseudo-terminal of 100 columns; return what it showed there."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    p = subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the terminal's other end is closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert p.wait(timeout=120) == 0
    return shown.decode(errors="replace")


@pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminals as on Linux")
def test_bar_on_a_terminal_and_quiet_silences_it():
    """On a terminal the bar counts epochs with an ETA; --quiet shows nothing."""
    shown = _on_a_terminal(*BAR_RUN)
    assert "training:" in shown and "/60 [" in shown and "epoch/s" in shown
    assert _on_a_terminal(*BAR_RUN, "--quiet") == ""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_the_swap_waits_for_it(tmp_path, old_result, monkeypatch, capsys, signum):
    """A signal that comes while the files are being moved in is held back until the new set
    is complete; then the one line says so."""
    _write_old_set(tmp_path, old_result)
    real_replace = os.replace
    sent = []

    def replace_and_signal(src, dst):
        if not sent:
            sent.append(signum)
            signal.raise_signal(signum)  # as if Ctrl-C came just now
        real_replace(src, dst)

    monkeypatch.setattr("sim.export.folder.os.replace", replace_and_signal)
    handler = signal.getsignal(signal.SIGTERM)
    assert cli.main(["run", "--epochs", "9", "--out", str(tmp_path)]) == 128 + signum
    monkeypatch.undo()
    assert sent == [signum]
    assert capsys.readouterr().err == (
        f"python -m sim run: interrupted; {tmp_path} holds the complete new set of files\n")
    assert _set_epochs(tmp_path) == 9 and _leftovers(tmp_path) == []
    assert signal.getsignal(signal.SIGTERM) == handler  # main() put it back


def test_as_the_program_late_signals_are_ignored(tmp_path, monkeypatch, capsys):
    """Called as the program (no argv), main() leaves SIGINT and SIGTERM ignored when done:
    a Ctrl-C while the process exits must not print a traceback (or kill it, SIGTERM)."""
    monkeypatch.setattr(sys, "argv", ["python -m sim", "run", "--epochs", "3", "--out",
                                      str(tmp_path)])
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        assert cli.main() == 0
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
    assert _set_epochs(tmp_path) == 3
