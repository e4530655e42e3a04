"""`mlops notebooks DIR` gives a pip-installed user the example notebooks; `mlops demo` ends with
the next step to take."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nbformat
from click.testing import CliRunner

from jupyter_mlops.cli import main
from jupyter_mlops.cli._notebooks import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]


def cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_notebooks_copies_every_example_and_says_what_to_open(tmp_path):
    result = cli("notebooks", str(tmp_path / "examples"))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "examples").iterdir()) == sorted(EXAMPLES)
    for name in EXAMPLES:
        assert (tmp_path / "examples" / name).read_bytes() == (ROOT / "notebooks" / name).read_bytes()
        assert str(tmp_path / "examples" / name) in result.output
    assert result.output.splitlines()[-1] == f"Next: jupyter lab {tmp_path / 'examples' / 'quickstart.ipynb'}"


def test_notebooks_refuses_to_overwrite_without_force(tmp_path):
    (tmp_path / "monitoring.ipynb").write_text("my edits")
    refused = cli("notebooks", str(tmp_path))
    assert refused.exit_code == 1
    assert refused.output.strip() == (f"Error: {tmp_path} already has monitoring.ipynb; nothing copied. "
                                      "Use --force to overwrite them.")
    assert [p.name for p in tmp_path.iterdir()] == ["monitoring.ipynb"]
    assert (tmp_path / "monitoring.ipynb").read_text() == "my edits"
    assert cli("notebooks", str(tmp_path), "--force").exit_code == 0
    assert (tmp_path / "monitoring.ipynb").read_bytes() == (ROOT / "notebooks" / "monitoring.ipynb").read_bytes()


def test_the_wheel_ships_every_example_notebook_where_the_commands_look():
    force_include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"][
        "wheel"]["force-include"]
    shipped = {src: dst for src, dst in force_include.items() if src.startswith("notebooks/")}
    assert shipped == {f"notebooks/{name}": f"jupyter_mlops/_notebooks/{name}" for name in EXAMPLES}
    # every notebook under notebooks/ is an example worth shipping
    assert sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")) == sorted(EXAMPLES)


def test_demo_ends_with_the_next_step(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A step"),
                                               nbformat.v4.new_code_cell("print('hello')")])
    nbformat.write(notebook, tmp_path / "tiny.ipynb")
    result = cli("demo", "--notebook", str(tmp_path / "tiny.ipynb"))
    assert result.exit_code == 0, result.output
    assert "hello" in result.output
    assert re.sub(r"\s+", " ", result.output.split("Run with --keep to keep the workspace.")[1]).strip() == (
        "Next: mlops notebooks mlops-examples && jupyter lab mlops-examples/quickstart.ipynb "
        "(in any notebook: %load_ext jupyter_mlops, then %mlops panel for the control panel)")
