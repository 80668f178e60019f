"""Where an encoder runs: the CPU, or a CUDA device when torch has one (:func:`select_device`)."""

from __future__ import annotations

import warnings

from dedup.config import check_device


class DeviceWarning(UserWarning):
    """A CUDA device was asked for and torch finds none: the encoder runs on the CPU."""


def select_device(device: str = "cpu") -> str:
    """The device an encoder runs on: ``device``, or ``"cpu"`` when it names a CUDA device torch lacks.

    Only a CUDA request imports torch. Falling back warns once with :class:`DeviceWarning`, whose
    message says why (no CUDA build of torch, or no such device) and that the CPU is used.

    Args:
        device: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Raises:
        InvalidParameterError: For any other value.

    Example:
        >>> select_device("cpu")
        'cpu'
    """
    check_device(device)
    if device == "cpu":
        return "cpu"
    import torch

    index = int(device.partition(":")[2] or 0)
    if torch.cuda.is_available() and index < torch.cuda.device_count():
        return device
    if torch.cuda.is_available():
        why = f"torch finds {torch.cuda.device_count()} CUDA device(s)"
    elif torch.version.cuda is None:
        why = f"this torch ({torch.__version__}) is a CPU-only build"
    else:
        why = "torch finds no CUDA device"
    warnings.warn(f"device {device!r} was asked for, but {why}; the encoder runs on the CPU.",
                  DeviceWarning, stacklevel=2)
    return "cpu"


def gpu_precision(device: str) -> str:
    """``"bf16"`` where the CUDA device supports bfloat16, else ``"fp16"``: the GPU encoder's weights."""
    import torch

    with torch.cuda.device(torch.device(device)):
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
