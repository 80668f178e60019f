"""Byte-identity of scan outputs: ``pairs.jsonl`` and ``groups.jsonl`` on the seeds, dev and dev-hard.

A refactor that should not change behaviour is checked by recording the outputs' SHA-256 before it
and comparing after it, on the same machine (int8 vectors can differ in the last bits between CPUs,
so a recording is only compared with a run on the machine that made it).

Run:
    .venv/bin/python -m benchmarks.output_identity --record benchmarks/results/output_identity.json
    .venv/bin/python -m benchmarks.output_identity --check benchmarks/results/output_identity.json

``--check`` exits 1 and names every file that differs; ``--keep DIR`` leaves the outputs there for
a diff.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
SEEDS, DEV, DEV_HARD = ROOT / "seeds", EVAL / "dev" / "docs", EVAL / "dev-hard" / "docs"
# name -> (folder scanned, extra options); "{index}" is an archive index built from dev.
RUNS = {
    "seeds": (SEEDS, []),
    "dev": (DEV, []),
    "dev-hard": (DEV_HARD, []),
    "dev-hard-story": (DEV_HARD, ["--level", "story"]),
    "dev-hard-first-tier": (DEV_HARD, ["--first-tier"]),
    "dev-hard-against-dev": (DEV_HARD, ["--against", "{index}"]),
    "seeds-ray": (SEEDS, ["--backend", "ray", "--workers", "1"]),
}
COMPARED = ("pairs.jsonl", "groups.jsonl", "documents.jsonl")


def _dedup_command() -> list[str]:
    script = Path(sys.executable).parent / "dedup"
    return [str(script)] if script.exists() else [sys.executable, "-m", "dedup.cli.app"]


def _run(*args: str) -> None:
    subprocess.run([*_dedup_command(), *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def scan_digests(out_root: Path, runs: list[str]) -> dict[str, dict[str, str]]:
    """Run ``dedup scan`` for every run into ``out_root/<run>`` and hash the compared files."""
    digests: dict[str, dict[str, str]] = {}
    index = out_root / "dev-index"
    for name in runs:
        folder, options = RUNS[name]
        if not folder.is_dir():
            print(f"skipped {name}: {folder} not found", file=sys.stderr)
            continue
        if "{index}" in options and not index.exists():
            _run("index", "build", str(DEV), "--index", str(index))
        options = [str(index) if o == "{index}" else o for o in options]
        out = out_root / name
        _run("scan", str(folder), "-o", str(out), *options)
        digests[name] = {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in COMPARED}
        print(f"{name}: scanned", file=sys.stderr)
    return digests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--record", type=Path, help="write the digests to this JSON file")
    mode.add_argument("--check", type=Path, help="compare with the digests in this JSON file")
    parser.add_argument("--keep", type=Path, help="leave the scan outputs in this folder")
    parser.add_argument("--runs", nargs="+", choices=list(RUNS), default=list(RUNS),
                        help="which runs (default: all)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        out_root = args.keep or Path(tmp)
        digests = scan_digests(out_root, args.runs)
    if args.record:
        record = {"machine": platform.processor() or platform.machine(), "digests": digests}
        args.record.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"recorded {sum(map(len, digests.values()))} digests in {args.record}")
        return 0
    expected = json.loads(args.check.read_text(encoding="utf-8"))["digests"]
    differing = [f"{s}/{f}" for s, files in expected.items() if s in digests
                 for f, h in files.items() if digests[s].get(f) != h]
    for name in differing:
        print(f"differs: {name}")
    print("identical" if not differing else f"{len(differing)} file(s) differ")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
