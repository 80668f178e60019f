"""dedup: find copies, near-duplicates and translations among news articles.

Importing dedup loads no model and imports neither torch nor sentence-transformers. Load the
encoder once with ``encoder = dedup.load_encoder()`` (the int8 ONNX encoder; ``"torch"`` for the
fp32 sentence-transformers model) and pass it to every call
(``dedup.find_pairs(folder, encoder=encoder)``), or keep it in a :class:`Detector`. A
``SentenceTransformer`` of your own (``model=``, e.g. ``dedup.load_model()``) is used as it is.

Example (with the fake encoder, so no model is loaded):
    >>> import dedup
    >>> from dedup.encoders.base import HashingEncoder
    >>> texts = {"a.txt": "Storm hits the coast.\\nThousands lost power overnight.\\nSchools are closed.",
    ...          "b.txt": "Storm hits the coast.\\nThousands lost power overnight.\\nSchools are closed.",
    ...          "c.txt": "The central bank raised interest rates by half a point on Thursday."}
    >>> pairs = dedup.find_pairs(texts, encoder=HashingEncoder())
    >>> [(p.doc_a, p.doc_b, p.relation.value) for p in pairs]
    [('a.txt', 'b.txt', 'exact')]
    >>> [g.members for g in dedup.find_groups(texts, encoder=HashingEncoder())]
    [('a.txt', 'b.txt'), ('c.txt',)]
    >>> dedup.to_frame(pairs)[["doc_a", "doc_b", "confidence"]]
       doc_a  doc_b  confidence
    0  a.txt  b.txt         1.0
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from dedup.api import Detector, to_frame, to_records
from dedup.build.hf_folder import build_model
from dedup.config import ScanConfig
from dedup.encoders.loading import load_encoder
from dedup.encoders.torch_encoder import load_model
from dedup.errors import DedupError, InputError, InvalidParameterError, ModelError, OutputError
from dedup.runners.local import find_groups, find_pairs, scan
from dedup.types import AlignedSentence, DocumentInfo, Group, Pair, Relation, ScanResult, Skipped

try:
    __version__ = version("dedup")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0.0.0"

__all__ = [
    "__version__",
    "find_pairs",
    "find_groups",
    "scan",
    "load_encoder",
    "load_model",
    "build_model",
    "Detector",
    "to_frame",
    "to_records",
    "ScanConfig",
    "Pair",
    "Group",
    "Relation",
    "AlignedSentence",
    "ScanResult",
    "Skipped",
    "DocumentInfo",
    "DedupError",
    "InvalidParameterError",
    "InputError",
    "ModelError",
    "OutputError",
]
