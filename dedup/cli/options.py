"""The options and arguments several commands share, and what their PATH... arguments mean.

Each is an ``Annotated`` type to use as a parameter's annotation, so a shared option reads (and
helps) the same in every command that has it.

Example:
    >>> from pathlib import Path
    >>> inputs_of([Path("news")]), inputs_of([Path("a.jsonl"), Path("news")])
    (PosixPath('news'), [PosixPath('a.jsonl'), PosixPath('news')])
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer


class EncoderKind(str, Enum):
    """Which encoder embeds sentences (``ScanConfig.encoder``); see ``dedup.load_encoder``."""

    ONNX_INT8_BATCHED = "onnx-int8-batched"
    ONNX_INT8 = "onnx-int8"
    TORCH = "torch"


EncoderOption = Annotated[
    EncoderKind,
    typer.Option("--encoder", help="onnx-int8-batched (default: int8, batched), onnx-int8 (int8, one "
                 "sentence per call) or torch (fp32)."),
]

DeviceOption = Annotated[
    str,
    typer.Option("--device", help="cpu (default) or cuda / cuda:N (bf16 on that GPU; CPU without CUDA)."),
]

ThresholdOption = Annotated[
    float,
    typer.Option(min=0.0, max=1.0, help="Minimum link confidence to share a group."),
]

NoWaitOption = Annotated[
    bool,
    typer.Option(
        "--no-wait", help="If another process is changing it, fail at once (exit 1) instead of waiting."
    ),
]

VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log more, and print the full traceback on failure.")
]

PathsArgument = Annotated[
    list[Path],
    typer.Argument(
        exists=True,
        file_okay=True,
        dir_okay=True,
        metavar="PATH",
        help="Folders (read recursively) and/or files.",
    ),
]


def inputs_of(paths: list[Path]) -> Path | list[Path]:
    """One path as it is (a folder: ids relative to it; a file: its name), several as a list."""
    return paths[0] if len(paths) == 1 else list(paths)


def root_of(paths: list[Path]) -> Path:
    """The folder document ids are relative to (see ``dedup.io.walk.list_inputs``)."""
    from dedup.io.walk import list_inputs

    if len(paths) == 1 and not paths[0].is_dir():
        return paths[0].absolute().parent
    if len(paths) == 1:
        return paths[0].absolute()
    return list_inputs([p for p in paths], extensions=())[0]
