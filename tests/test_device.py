"""Device selection and the GPU encoder's batch plan, tested on the CPU (CI has no GPU)."""

from __future__ import annotations

import copy
import random

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import dedup.encoders.loading
from dedup.config import ScanConfig
from dedup.encoders.base import HashingEncoder
from dedup.encoders.device import DeviceWarning, select_device
from dedup.encoders.identity import encoder_identity
from dedup.encoders.lazy import LazyEncoder
from dedup.encoders.loading import load_encoder
from dedup.encoders.torch_encoder import SentenceTransformerEncoder, plan_batches
from dedup.errors import InvalidParameterError

SENTENCES = [
    "The storm left thousands of homes without power on Monday night.",
    "Stormen gjorde tusenvis av hjem strømløse mandag kveld.",
    "Der Sturm hinterließ am Montagabend Tausende Haushalte ohne Strom.",
    "Шторм оставил без электричества тысячи домов в понедельник вечером.",
    "嵐により月曜日の夜、数千世帯が停電した。",
    "Schools stay closed.",
    "The central bank raised its key interest rate by half a percentage point on Thursday, "
    "the largest increase in more than two decades, citing persistent inflation.",
]


@pytest.fixture()
def no_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def test_plan_batches_covers_every_sentence_once_within_its_limits() -> None:
    rng = random.Random(0)
    for _ in range(50):
        lengths = [rng.randint(1, 120) for _ in range(rng.randint(0, 90))]
        batch_size, max_tokens = rng.choice([1, 3, 7, 17]), rng.choice([None, 50, 200, 1000])
        batches = plan_batches(lengths, batch_size=batch_size, max_tokens=max_tokens)
        assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
        flat = [i for b in batches for i in b]
        assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)  # longest first
        for b in batches:
            assert len(b) <= batch_size
            if max_tokens is not None and len(b) > 1:
                assert max(lengths[i] for i in b) * len(b) <= max_tokens
        if max_tokens is None:
            assert batches == [flat[k : k + batch_size] for k in range(0, len(flat), batch_size)]


def test_plan_batches_gives_an_overlong_sentence_its_own_batch() -> None:
    assert plan_batches([600, 10, 10], batch_size=8, max_tokens=512) == [[0], [1, 2]]


def test_cuda_without_cuda_falls_back_to_the_cpu_with_one_warning(no_cuda: None) -> None:
    with pytest.warns(DeviceWarning, match="'cuda' was asked for.*runs on the CPU") as caught:
        assert select_device("cuda") == "cpu"
    assert len(caught) == 1
    with pytest.warns(DeviceWarning, match="cuda:1"):
        assert select_device("cuda:1") == "cpu"


def test_cuda_is_chosen_when_torch_has_the_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert select_device("cuda") == "cuda" and select_device("cuda:0") == "cuda:0"
    with pytest.warns(DeviceWarning, match="finds 1 CUDA device"):
        assert select_device("cuda:1") == "cpu"


def test_device_is_validated() -> None:
    with pytest.raises(InvalidParameterError, match="device must be"):
        ScanConfig(device="gpu")
    with pytest.raises(InvalidParameterError, match="device must be"):
        select_device("cuda:x")
    assert ScanConfig().device == "cpu"


def test_a_cuda_request_without_cuda_loads_the_cpu_encoder(no_cuda: None) -> None:
    with pytest.warns(DeviceWarning):
        lazy = load_encoder(device="cuda", lazy=True)
    with pytest.warns(DeviceWarning):
        cpu_name = load_encoder("onnx-int8-batched", device="cuda:0", lazy=True).name
    assert isinstance(lazy, LazyEncoder) and lazy.name == cpu_name == load_encoder(lazy=True).name
    assert ":cuda-" not in lazy.name


def test_cli_device_cuda_without_cuda_says_so_once_and_scans_on_the_cpu(
    tmp_path, monkeypatch: pytest.MonkeyPatch, no_cuda: None
) -> None:
    from dedup.cli.app import app

    devices: list[str] = []

    def fake_load_encoder(kind: str = "?", *, device: str = "cpu", **kw: object) -> HashingEncoder:
        devices.append(device)
        return HashingEncoder()

    monkeypatch.setattr(dedup.encoders.loading, "load_encoder", fake_load_encoder)
    (tmp_path / "a.txt").write_text("A storm hit the coast on Monday.\nThousands lost power.")
    (tmp_path / "b.txt").write_text("A storm hit the coast on Monday.\nThousands lost power.")
    runner = CliRunner()
    on_cpu = runner.invoke(app, ["scan", str(tmp_path), "--json"])
    asked = runner.invoke(app, ["scan", str(tmp_path), "--json", "--device", "cuda"])
    assert asked.exit_code == 0, asked.output
    warnings = [line for line in asked.stderr.splitlines() if "cuda" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: device 'cuda' was asked for")
    assert "runs on the CPU" in warnings[0]
    assert asked.stdout == on_cpu.stdout and devices == ["cpu", "cpu"]
    assert runner.invoke(app, ["scan", str(tmp_path), "--device", "tpu"]).exit_code == 2
    assert runner.invoke(app, ["scan", str(tmp_path), "--gpus-per-worker", "1"]).exit_code == 2


@pytest.mark.model
@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_half_precision_weights_stay_within_cosine_0_99_of_fp32(real_model, precision: str) -> None:
    """The GPU encoder's recipe (cast weights, token-budget batches), run on the CPU."""
    fp32 = SentenceTransformerEncoder(real_model)
    half_model = copy.deepcopy(real_model).to(torch.bfloat16 if precision == "bf16" else torch.float16)
    half = SentenceTransformerEncoder(half_model, precision=precision, batch_size=4, max_tokens=64)
    ref, got = fp32.encode(SENTENCES), half.encode(SENTENCES)
    assert got.dtype == np.float32 and np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert float(np.sum(ref * got, axis=1).min()) >= 0.99
    assert encoder_identity(half) == f"{encoder_identity(fp32)}:cpu-{precision}"
