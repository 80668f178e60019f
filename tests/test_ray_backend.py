"""The Ray backend gives byte-identical outputs to the local backend, also when a worker dies.

All tests share one local Ray instance with num_cpus=2. Ray is an optional extra, but these tests
do not skip without it: they fail and say how to install it.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from dedup.config import ScanConfig
from dedup.encoders.base import HashingEncoder
from dedup.io.scan_files import write_scan
from dedup.runners.local import scan
from dedup.runners.ray import INSTALL_HINT, RayUnavailableError, require_ray, scan_with_ray

pytestmark = pytest.mark.ray

OUTPUTS = ("pairs.jsonl", "groups.jsonl", "documents.jsonl", "skipped.jsonl")


@pytest.fixture(scope="module")
def ray_local():
    """One local Ray (2 CPUs) for the module; fails with the install hint when Ray is missing."""
    try:
        ray = require_ray()
    except RayUnavailableError as err:
        pytest.fail(f"{err} The tests marked 'ray' need it (make venv installs it).")
    # Workers unpickle the test encoders by value: this module is not importable on their sys.path.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, logging_level="warning", log_to_driver=False)
    yield ray
    ray.shutdown()


def _outputs(result, out: Path) -> dict[str, bytes]:
    write_scan(result, out)
    return {name: (out / name).read_bytes() for name in OUTPUTS}


def _synthetic_folder(root: Path, n_docs: int = 40, seed: int = 0) -> Path:
    """Stories, exact copies, edited copies, a JSONL record file, an empty file and a subfolder."""
    rng = np.random.default_rng(seed)
    words = [f"{w}{k}" for k in range(60) for w in ("storm", "bank", "vote", "match", "fire")]
    texts: list[str] = []
    for k in range(n_docs):
        if k >= 4 and k % 5 == 0:  # exact copy
            texts.append(texts[int(rng.integers(0, k))])
        elif k >= 4 and k % 7 == 0:  # edited copy: one sentence swapped
            lines = texts[int(rng.integers(0, k))].split("\n")
            lines[-1] = f"An update added at {k} changes the last sentence of this story."
            texts.append("\n".join(lines))
        else:
            texts.append(
                "\n".join(
                    " ".join(rng.choice(words, size=int(rng.integers(6, 14)))).capitalize() + "."
                    for _ in range(int(rng.integers(3, 9)))
                )
            )
    (root / "sub").mkdir(parents=True)
    for k, text in enumerate(texts):
        folder = root / "sub" if k % 3 == 0 else root
        (folder / f"doc{k:03d}.txt").write_text(text, encoding="utf-8")
    records = [{"id": f"r{k}", "text": texts[k]} for k in range(3)]
    (root / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (root / "empty.txt").write_text("  \n", encoding="utf-8")
    return root


# Small batches: 16 * 4 = 64 distinct sentences per chunk, so the actors get several chunks each.
SYNTHETIC_CONFIG = ScanConfig(use_cache=False, batch_size=4, exhaustive_below=10, top_k=5, threshold=0.4)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """The synthetic folder and its local-backend outputs (computed once)."""
    folder = _synthetic_folder(tmp_path_factory.mktemp("synthetic") / "in")
    local = scan(folder, config=SYNTHETIC_CONFIG, encoder=HashingEncoder())
    assert local.pairs and local.skipped, "the synthetic folder should give pairs and a skipped file"
    return folder, _outputs(local, tmp_path_factory.mktemp("local-out"))


def test_ray_matches_local_on_synthetic_folder(ray_local, synthetic, tmp_path):
    folder, expected = synthetic
    result = scan_with_ray(folder, config=SYNTHETIC_CONFIG, encoder_factory=HashingEncoder, n_workers=2)
    assert _outputs(result, tmp_path / "out") == expected
    assert result.stats["backend"] == "ray"


def test_pair_scoring_in_many_blocks_matches_local(ray_local, synthetic, tmp_path, monkeypatch):
    """Candidate pairs scored as Ray tasks over small blocks (odd size, so blocks cross groups)."""
    import dedup.runners.ray

    monkeypatch.setattr(dedup.runners.ray, "_SCORE_BLOCK", 7)
    folder, expected = synthetic
    result = scan_with_ray(folder, config=SYNTHETIC_CONFIG, encoder_factory=HashingEncoder, n_workers=2)
    assert result.stats["n_candidates"] > 7 * 3  # really several blocks
    assert _outputs(result, tmp_path / "out") == expected


def test_ray_matches_local_with_cold_caches(ray_local, synthetic, tmp_path):
    """Through the embedding cache (fresh on each side), the encoder sees the same batches."""
    folder, expected = synthetic
    local = scan(folder, config=_cached(tmp_path / "c1"), encoder=HashingEncoder())
    ray_result = scan_with_ray(folder, config=_cached(tmp_path / "c2"), encoder_factory=HashingEncoder)
    assert _outputs(ray_result, tmp_path / "ray") == _outputs(local, tmp_path / "local") == expected
    assert list((tmp_path / "c2").iterdir()), "the actors wrote no cache"


def _cached(folder: Path) -> ScanConfig:
    from dataclasses import replace

    return replace(SYNTHETIC_CONFIG, use_cache=True, cache_dir=str(folder))


class _DiesOnce:
    """HashingEncoder whose process exits the first time it is given ``trigger`` (marker: ``flag``)."""

    def __init__(self, flag: str, trigger: str) -> None:
        self.inner = HashingEncoder()
        self.name = self.inner.name
        self.flag, self.trigger = flag, trigger

    def encode(self, sentences, *, batch_size=32):  # noqa: ANN001, ANN201
        if self.trigger in sentences and not os.path.exists(self.flag):
            Path(self.flag).write_text(str(os.getpid()), encoding="utf-8")
            os._exit(1)  # the actor process dies mid-run, as on an out-of-memory kill
        return self.inner.encode(sentences, batch_size=batch_size)


def test_worker_killed_mid_run_is_restarted_with_the_same_output(ray_local, synthetic, tmp_path):
    folder, expected = synthetic
    # The shortest sentences come last in the embedding plan: a chunk late in the run.
    trigger = min((s for p in folder.rglob("doc*.txt") for s in p.read_text().split("\n")), key=len)
    flag = tmp_path / "killed"
    factory = functools.partial(_DiesOnce, str(flag), trigger)
    result = scan_with_ray(folder, config=SYNTHETIC_CONFIG, encoder_factory=factory, n_workers=2)
    assert flag.exists(), "the injected failure did not happen"
    assert _outputs(result, tmp_path / "out") == expected


@pytest.mark.model
def test_ray_matches_local_on_seeds_with_the_real_model(
    ray_local, real_model, real_onnx_encoder, seeds_dir, tmp_path
):
    local_kwargs_of = {"onnx-int8-batched": {"encoder": real_onnx_encoder}, "torch": {"model": real_model}}
    for kind, local_kwargs in local_kwargs_of.items():
        config = ScanConfig(use_cache=False, encoder=kind)
        local = scan(seeds_dir, config=config, **local_kwargs)
        assert local.pairs, "the seeds should give at least one pair"
        result = scan_with_ray(seeds_dir, config=config, n_workers=2)  # workers load config.encoder
        assert _outputs(result, tmp_path / f"ray-{kind}") == _outputs(local, tmp_path / f"local-{kind}"), kind


def test_without_ray_the_error_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(RayUnavailableError, match=r"pip install -e '\.\[ray\]'"):
        scan_with_ray({"a": "text"})
    assert "pip install -e '.[ray]'" in INSTALL_HINT


def test_n_workers_is_validated():
    from dedup.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="n_workers"):
        scan_with_ray({"a": "text"}, n_workers=0)
    with pytest.raises(InvalidParameterError, match="first_tier"):
        scan_with_ray({"a": "text"}, config=ScanConfig(first_tier=True))
    with pytest.raises(InvalidParameterError, match="gpus_per_worker"):
        scan_with_ray({"a": "text"}, gpus_per_worker=-1)


def test_embedding_workers_ask_for_gpus_only_when_given():
    from dedup.runners.ray import embed_worker_resources

    assert embed_worker_resources(1.0, 0.0) == {"num_cpus": 1.0}
    assert embed_worker_resources(4.0, 1.0) == {"num_cpus": 4.0, "num_gpus": 1.0}


def test_cli_without_ray_exits_2_with_the_install_hint(monkeypatch, seeds_dir):
    from typer.testing import CliRunner

    from dedup.cli.app import app

    monkeypatch.setitem(sys.modules, "ray", None)
    result = CliRunner().invoke(app, ["scan", str(seeds_dir), "--backend", "ray"])
    assert result.exit_code == 2
    assert "pip install -e '.[ray]'" in result.output
