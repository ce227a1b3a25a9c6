"""Runs examples/iran_russia_ties.ipynb end to end against a real entented.

Run through CTest (python_notebook_test), which sets ENTENTED, PYTHONPATH and
ENTENTE_NOTEBOOK. The kernel is Debian's /usr/bin/python3 (which has ipykernel,
matplotlib and networkx), through a kernel spec written to a temporary JUPYTER_PATH; the
notebook reads the server address from ENTENTE_SERVER and, as it runs in a temporary
directory here, the ICEWS sample's path from ENTENTE_ICEWS_EVENTS (the sample beside the
repository). The stored notebook is not changed.
"""

import json
import os
import re

import nbclient
import nbformat

KERNEL = "entente-python3"
NOTEBOOK = os.environ.get("ENTENTE_NOTEBOOK") or os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "examples", "iran_russia_ties.ipynb")
# ../shared/data/icews14 seen from the repository, which holds examples/.
EVENTS = os.path.join(os.path.dirname(os.path.abspath(NOTEBOOK)), "..", "..", "shared", "data",
                      "icews14", "events.tsv")


def _kernel_spec(root):
    """A kernel spec for /usr/bin/python3 under root/kernels (a JUPYTER_PATH entry)."""
    spec_dir = os.path.join(root, "kernels", KERNEL)
    os.makedirs(spec_dir)
    with open(os.path.join(spec_dir, "kernel.json"), "w") as f:
        json.dump({"argv": ["/usr/bin/python3", "-m", "ipykernel_launcher",
                            "-f", "{connection_file}"],
                   "display_name": "Python 3 (Debian)", "language": "python"}, f)


def _outputs(nb, tag):
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"one cell tagged {tag!r}"
    return cells[0].outputs


def test_notebook_runs(server, tmp_path, monkeypatch):
    _kernel_spec(str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("ENTENTE_SERVER", server)
    monkeypatch.setenv("ENTENTE_ICEWS_EVENTS", EVENTS)
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # ipykernel's debugger notice

    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "store the notebook without outputs"
    # Raises CellExecutionError (with the traceback) when a cell fails.
    nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=60,
                            resources={"metadata": {"path": str(tmp_path)}}).execute()

    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    for tag in ("plot", "graph", "rollup"):
        assert any("image/png" in o.get("data", {}) for o in _outputs(nb, tag)), \
            f"the {tag!r} cell drew no figure"
    stats = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert server in stats and "entities" in stats
    # The roll-up section imported the sample and found its Iran-Russia events.
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.outputs)
    assert "events.tsv: 86933 lines" in printed, printed
    counts = re.search(r"plain: (\d+) facts; rolled up: (\d+)", printed)
    assert counts and int(counts.group(2)) > int(counts.group(1)) + 50, printed
