"""Warm `dedup scan` (every sentence already in the embedding cache): lazy encoder vs one opened up front.

Both variants run the real CLI in a fresh process on the same folder and the same filled cache
(a private ``DEDUP_HOME`` whose model folders link to the user's), alternated, best of ``--repeat``.
"eager" is the same code with ``dedup.encoders.loading.load_encoder`` forced to open the encoder at
once, as a scan that opened it up front would. Both must print the same groups.

Results: benchmarks/results/warm_scan.json.
Run: .venv/bin/python -m benchmarks.bench_warm_scan [FOLDER] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_HARD_DOCS = ROOT.parent / "shared" / "eval" / "dev-hard" / "docs"
OUT = ROOT / "benchmarks" / "results" / "warm_scan.json"

_EAGER = """
import sys
import dedup.encoders.loading as m
_load = m.load_encoder
m.load_encoder = lambda *args, **kwargs: _load(*args, **{**kwargs, "lazy": False})  # callers ask lazy=True
from dedup.cli.app import app
sys.argv = ["dedup", *sys.argv[1:]]
app()
"""
_LAZY = """
import sys
from dedup.cli.app import app
sys.argv = ["dedup", *sys.argv[1:]]
app()
"""


def _run(code: str, folder: Path, env: dict[str, str]) -> tuple[float, str]:
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, "scan", str(folder), "--json"], env=env,
                         capture_output=True, text=True, check=True)
    return time.perf_counter() - t, out.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", type=Path, default=DEV_HARD_DOCS)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from dedup.build.paths import default_home

    with tempfile.TemporaryDirectory(prefix="dedup-warm-") as tmp:
        home = Path(tmp)
        (home / "models").mkdir()
        for d in (default_home() / "models").iterdir():
            (home / "models" / d.name).symlink_to(d, target_is_directory=True)
        env = {**os.environ, "DEDUP_HOME": str(home), "PYTHONPATH": str(ROOT)}
        cold, reference = _run(_LAZY, args.folder, env)
        times: dict[str, list[float]] = {"eager": [], "lazy": []}
        for _ in range(args.repeat):
            for name, code in (("eager", _EAGER), ("lazy", _LAZY)):
                seconds, out = _run(code, args.folder, env)
                assert out == reference, f"{name} printed other groups"
                times[name].append(round(seconds, 3))
    best = {k: min(v) for k, v in times.items()}
    result = {
        "folder": str(args.folder),
        "what": "wall time of `dedup scan FOLDER --json` in a fresh process, embedding and preprocessing "
                "caches filled by a cold run first; alternated runs",
        "cold_seconds": round(cold, 2),
        "runs_seconds": times,
        "best_seconds": best,
        "eager_over_lazy": round(best["eager"] / best["lazy"], 2),
        "machine": {"cores": len(os.sched_getaffinity(0)), "cpu": platform.processor() or platform.machine()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
