"""docs/worksheet.ipynb runs (nbclient, a real Jupyter kernel) and shows what it says: the loss
and the derivative printed, and each result as HTML with MathML math and the network as SVG
(issue 17)."""

from __future__ import annotations

import pytest

from conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


@pytest.mark.filterwarnings("ignore")  # jupyter_client's own deprecation notices are not ours
def test_the_worksheet_notebook_runs_and_shows_the_math():
    notebook = nbformat.read(ROOT / "docs" / "worksheet.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []  # what is checked is what this run makes
    nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "docs")}}).execute()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    printed = ["".join(o.get("text", "") for o in c.outputs if o.output_type == "stream") for c in code]
    shown = [next((o["data"] for o in c.outputs if o.output_type == "execute_result"), {}) for c in code]
    assert printed[1].startswith("0.38790175 [0.11920292]")
    assert printed[2].startswith("-0.04623902 2.09247804")
    assert printed[3].startswith("1.0 of 3.0")
    assert all("text/html" in data for data in shown)
    assert "<svg" in shown[0]["text/html"] and "<svg" in shown[1]["text/html"]
    assert shown[1]["text/html"].count("<math") > 50 and "<mfrac>" in shown[2]["text/html"]
    assert "sign" in shown[3]["text/html"] and "old weight" in shown[3]["text/html"]
    assert "text/markdown" in shown[1] and "$$" in shown[1]["text/markdown"]
