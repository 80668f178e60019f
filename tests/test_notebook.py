"""The quickstart notebook runs top to bottom (so it cannot go stale) and is committed without outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"
DEV = ROOT.parent / "shared" / "eval" / "dev"


def test_notebook_is_committed_without_outputs():
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.model
def test_notebook_executes(real_model):  # real_model: fail early and clearly when the model is missing
    import nbformat
    from nbclient import NotebookClient

    if not DEV.is_dir():
        pytest.fail(f"the eval set the notebook reads is missing: {DEV}")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "translation" in text and "001_22857d8c1e2fe89c.txt" in text
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the score distribution plot
    assert "precision" in text and "ARI" in text
