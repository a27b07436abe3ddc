"""File benchmark: how long the standard comparison's files take to write, per npz option.

Run from the project root::

    python bench/bench_files.py           # every option, lzma and bzip2 included (~45 s)
    python bench/bench_files.py --quick   # without lzma and bzip2
    python bench/bench_files.py --smoke   # seconds: every part at the smallest size,
                                          # as the test suite runs it

Trains the standard comparison of ``bench/bench_engine.py`` once (10 runs, hidden [64, 64],
1000 epochs: 53 MB of weight snapshots), then writes its three files (``config.json``,
``metrics.csv``, ``weights.npz``) into a fresh folder with each way of making the npz, and
prints the best wall time of a few repeats, the npz's size, both as ratios to the way
:mod:`sim.export.data` writes it, and the disk speed below which the option's compression
pays for itself (the bytes it saves take as long to write as it spends compressing). Every
option makes a standard ``.npz`` that ``np.load`` reads back the same (checked), except
``zlib level 1``: the raw arrays compressed in memory, the cost of deflate alone. The last
lines time what ``python -m sim run --out`` does: :func:`sim.export.write_run_files`, then the
same into a temporary folder swapped into place (:mod:`sim.export.folder`). Target: at most
0.25 s.

``--smoke`` trains the standard comparison at ``bench_engine``'s smoke sizes (a few samples
and epochs: the same runs and layers, about 2 MB of arrays) and writes each option once (unless
``--repeat`` says otherwise), lzma and bzip2 included (unless ``--quick``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402
from bench_engine import STANDARD, sized  # noqa: E402

from sim.config import Config  # noqa: E402
from sim.export import data  # noqa: E402
from sim.train import Result, train_comparison  # noqa: E402

TARGET = 0.25


def _zip_npz(method: int, level: int | None) -> Callable[[Path, dict], None]:
    """An npz writer: each array through ``np.lib.format.write_array`` into its own entry
    (what ``np.savez`` does, with the compression of our choice)."""
    def save(path: Path, arrays: dict[str, np.ndarray]) -> None:
        with zipfile.ZipFile(path, "w", method, compresslevel=level) as zf:
            for name, arr in arrays.items():
                with zf.open(name + ".npy", "w", force_zip64=True) as f:
                    np.lib.format.write_array(f, np.asanyarray(arr), allow_pickle=False)
    return save


def _zlib_only(path: Path, arrays: dict[str, np.ndarray]) -> None:
    for arr in arrays.values():
        zlib.compress(np.ascontiguousarray(arr).data, 1)


OPTIONS: dict[str, tuple[Callable[[Path, dict], None], bool]] = {  # name: (save, slow)
    "np.savez_compressed (before)": (lambda p, a: np.savez_compressed(p, **a), False),
    "np.savez (stored)": (lambda p, a: np.savez(p, **a), False),
    "zipfile deflate level 1": (_zip_npz(zipfile.ZIP_DEFLATED, 1), False),
    "zlib level 1, no file": (_zlib_only, False),
    "zipfile bzip2 level 1": (_zip_npz(zipfile.ZIP_BZIP2, 1), True),
    "zipfile lzma": (_zip_npz(zipfile.ZIP_LZMA, None), True),
}


def write_files(result: Result, folder: Path, save: Callable[[Path, dict], None]) -> float:
    """Seconds to write the three files with ``save`` making the npz."""
    t0 = time.perf_counter()
    (folder / "config.json").write_text(result.config.to_json() + "\n")
    (folder / "metrics.csv").write_text(data.metrics_csv(result))
    save(folder / "weights.npz", data.weight_arrays(result))
    return time.perf_counter() - t0


def best_of(repeat: int, job: Callable[[Path], float], root: Path) -> tuple[float, Path]:
    """Best seconds of ``repeat`` calls of ``job``, each into a fresh folder, and the last
    folder (the caller removes it)."""
    best, folder = float("inf"), None
    for _ in range(repeat):
        if folder is not None:
            shutil.rmtree(folder)
        folder = Path(tempfile.mkdtemp(dir=root))
        best = min(best, job(folder))
    assert folder is not None
    return best, folder


def npz_size(folder: Path, arrays: dict[str, np.ndarray]) -> int | None:
    """Size of ``folder/weights.npz``, checked to hold the same arrays under the same names."""
    npz = folder / "weights.npz"
    if not npz.exists():
        return None
    with np.load(npz) as z:
        assert list(z.files) == list(arrays)
        assert all(np.array_equal(z[k], arrays[k]) for k in arrays)
    return npz.stat().st_size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="leave out lzma and bzip2 (slow)")
    ap.add_argument("--repeat", type=int, default=None,
                    help="repeats of the fast options (default 5)")
    ap.add_argument("--smoke", action="store_true",
                    help="a small training, every option once (as the test suite runs it)")
    args = ap.parse_args()
    if args.repeat is None:
        args.repeat = 1 if args.smoke else 5

    result = train_comparison(Config.from_dict(sized(STANDARD, args.smoke)))
    arrays = data.weight_arrays(result)
    print(f"standard comparison: {len(result.runs)} runs, "
          f"{sum(a.nbytes for a in arrays.values()) / 1e6:.1f} MB of arrays, "
          f"metrics.csv {len(data.metrics_csv(result)) / 1e6:.1f} MB")
    root = Path(tempfile.mkdtemp(prefix="bench-files-", dir=Path(__file__).parent))
    try:
        rows = []
        for name, (save, slow) in OPTIONS.items():
            if slow and args.quick:
                continue
            t, folder = best_of(1 if slow else args.repeat,
                                lambda f, save=save: write_files(result, f, save), root)
            rows.append((name, t, npz_size(folder, arrays)))
            shutil.rmtree(folder)
        ref_t, ref_size = next((t, s) for n, t, s in rows if n == "np.savez (stored)")
        print(f"{'npz written with':30s} {'3 files':>8s} {'ratio':>6s} {'npz':>9s} {'ratio':>6s}"
              "  pays for itself on a disk slower than")
        for name, t, size in rows:
            mb = "-" if size is None else f"{size / 1e6:.1f} MB"
            ratio = "-" if size is None else f"{size / ref_size:.2f}"
            # The bytes it saves, written at this speed, take as long as its extra time.
            pays = ("-" if size is None or t <= ref_t or size >= ref_size
                    else f"{(ref_size - size) / (t - ref_t) / 1e6:.0f} MB/s")
            print(f"{name:30s} {t:7.3f}s {t / ref_t:6.2f} {mb:>9s} {ratio:>6s}  {pays}")
        print(f"chosen (sim.export.data.NPZ_COMPRESSED={data.NPZ_COMPRESSED}):")
        t_plain, _ = best_of(args.repeat, lambda f: _timed(data.write_run_files, result, f),
                             root)
        print(f"  write_run_files:                      {t_plain:.3f} s (target <= {TARGET} s)")
        t_swap, _ = best_of(args.repeat, lambda f: _timed(_atomic, result, f), root)
        print(f"  into a temporary folder, swapped in:  {t_swap:.3f} s (target <= {TARGET} s)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _timed(job: Callable[[Result, Path], object], result: Result, folder: Path) -> float:
    t0 = time.perf_counter()
    job(result, folder)
    return time.perf_counter() - t0


def _atomic(result: Result, folder: Path) -> None:
    """What ``python -m sim run --out`` does after training: lock, stage, swap in."""
    from sim.export.folder import OutputFolder

    with OutputFolder(folder / "out") as out:
        data.write_run_files(result, out.stage())
        out.commit()


if __name__ == "__main__":
    main()
