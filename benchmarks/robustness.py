"""Accuracy on archive-damaged copies of the labelled sets: mojibake, capitals, hard wrapping.

Old archives hold text that was saved in the wrong encoding, wire copy set in capitals and plain
text wrapped at a fixed width. This benchmark damages half of the documents of ``../shared/eval/dev``
and ``dev-hard`` (those whose id hashes even, so both sides of many pairs and a mix elsewhere) in
one way at a time, in a temporary copy that is deleted afterwards, and scores each copy as
``dedup eval`` does, with the repairs dedup makes on reading (:func:`dedup.io.decode.repair_mojibake`,
:func:`dedup.encoders.base.encoder_form`, :func:`dedup.text.reflow.unwrap`) and, as the control arm,
with those three replaced by the identity. Results (figures only, no text):
``benchmarks/results/robustness.json``.

    python -m benchmarks.robustness [--sets dev dev-hard]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"


def sloppy_cp1252(text: str) -> str:
    """UTF-8 bytes read as Windows-1252, bytes it leaves undefined read as Latin-1 (as browsers do)."""
    out = []
    for byte in text.encode("utf-8"):
        try:
            out.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(byte))
    return "".join(out)


def wrapped(text: str, width: int = 70) -> str:
    return "\n".join(textwrap.fill(line, width) if line.strip() else "" for line in text.splitlines())


DAMAGE: dict[str, Callable[[str], str]] = {
    "none": lambda text: text,
    "mojibake": sloppy_cp1252,
    "capitals": str.upper,
    "wrapped_70": wrapped,
    "teletype": lambda text: wrapped(text.upper(), 69),
}


def damaged_copy(source: Path, dest: Path, damage: Callable[[str], str]) -> int:
    """Copy a gold folder to ``dest`` with every other document (by id hash) damaged; returns how many."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("*.py", "*.md"))
    n = 0
    for path in sorted((dest / "docs").iterdir()):
        if hashlib.sha256(path.name.encode()).digest()[0] % 2 == 0:
            path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")
            n += 1
    return n


@contextmanager
def repairs_off() -> Iterator[None]:
    """Replace the three repairs by the identity (the control arm)."""
    import dedup.encoders.base as base
    import dedup.io.decode as decode
    import dedup.runners.stages as stages

    saved = (decode.repair_mojibake, base.encoder_form, stages.unwrap)
    decode.repair_mojibake = base.encoder_form = stages.unwrap = lambda text: text  # type: ignore[assignment]
    try:
        yield
    finally:
        decode.repair_mojibake, base.encoder_form, stages.unwrap = saved  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["dev", "dev-hard"])
    parser.add_argument("--out", default="benchmarks/results/robustness.json")
    args = parser.parse_args()
    from dedup.config import ScanConfig
    from dedup.encoders.onnx_batched import load_batched_encoder
    from dedup.evaluation.assess import evaluate_gold_dir

    encoder = load_batched_encoder()
    results: dict[str, object] = {"encoder": encoder.name, "sets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for arm in ("repairs", "no_repairs"):
            config = replace(ScanConfig(), cache_dir=Path(tmp) / f"cache-{arm}")
            for name in args.sets:
                for label, damage in DAMAGE.items():
                    folder = Path(tmp) / f"{arm}-{name}-{label}"
                    n_damaged = damaged_copy(EVAL / name, folder, damage)
                    t = time.perf_counter()
                    if arm == "repairs":
                        metrics = evaluate_gold_dir(folder, config=config, encoder=encoder)
                    else:
                        with repairs_off():
                            metrics = evaluate_gold_dir(folder, config=config, encoder=encoder)
                    row = {
                        "damaged_documents": n_damaged,
                        "precision": round(metrics["pairwise"]["precision"], 4),
                        "recall": round(metrics["pairwise"]["recall"], 4),
                        "f1": round(metrics["pairwise"]["f1"], 4),
                        "ece": round(metrics["ece"], 4),
                        "hard_negatives_merged": len(metrics["merged_hard_negatives"]),
                        "seconds": round(time.perf_counter() - t, 1),
                    }
                    results["sets"].setdefault(name, {}).setdefault(arm, {})[label] = row  # type: ignore[union-attr]
                    print(arm, name, label, row, flush=True)
                    shutil.rmtree(folder)
    out = Path(args.out)
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
