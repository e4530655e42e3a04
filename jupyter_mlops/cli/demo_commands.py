"""``mlops demo``: run the quickstart notebook headless on a fresh embedded workspace and print
what each step did."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import click

from . import main
from ._notebooks import example


def quickstart_notebook() -> Path:
    notebook = example("quickstart.ipynb")
    if notebook is None:
        raise click.ClickException("The quickstart notebook is not installed with this copy of jupyter_mlops.")
    return notebook


def _text_of(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return f"{output.get('ename')}: {output.get('evalue')}"
    data = output.get("data", {})
    return data.get("text/plain", "")


def summarise(nb, echo=click.echo, max_lines: int = 12) -> None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            if first.startswith("#"):
                echo(click.style(first.lstrip("# ").strip(), bold=True))
            continue
        lines = [ln for ln in cell.source.splitlines() if ln.strip() and not ln.startswith("# NBVAL")]
        if not lines:
            continue
        echo(click.style(f"  >>> {lines[0]}" + (" …" if len(lines) > 1 else ""), fg="cyan"))
        for output in cell.get("outputs", []):
            text = _text_of(output).rstrip()
            if not text:
                continue
            shown = text.splitlines()
            for line in shown[:max_lines]:
                echo(f"      {line}")
            if len(shown) > max_lines:
                echo(f"      … ({len(shown) - max_lines} more lines)")


#: what the demo ends with: where a new user goes from here
NEXT_STEP = ("\nNext: mlops notebooks mlops-examples && jupyter lab mlops-examples/quickstart.ipynb\n"
             "      (in any notebook: %load_ext jupyter_mlops, then %mlops panel for the control panel)")


@main.command()
@click.option("--keep", is_flag=True, help="keep the demo workspace and the executed notebook")
@click.option("--notebook", type=click.Path(exists=True, dir_okay=False), help="run this notebook instead")
def demo(keep, notebook):
    """Run the quickstart notebook headless on a fresh workspace and show each step."""
    import nbformat
    import papermill as pm

    source = Path(notebook) if notebook else quickstart_notebook()
    scratch = Path(tempfile.mkdtemp(prefix="mlops-demo-"))
    home = scratch / ".mlops"
    out = scratch / source.name
    env = {"MLOPS_HOME": str(home), "MLOPS_NOTEBOOK": str(source)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    click.echo(f"Running {source} on a fresh workspace {home}\n")
    started = time.perf_counter()
    failed = None
    try:
        pm.execute_notebook(str(source), str(out), kernel_name="python3", cwd=str(source.parent),
                            progress_bar=False)
    except pm.PapermillExecutionError as exc:
        failed = exc
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    summarise(nbformat.read(out, as_version=4))
    elapsed = time.perf_counter() - started
    if failed is not None:
        raise click.ClickException(f"The demo failed at cell {failed.cell_index}: {failed.ename}: {failed.evalue}")
    click.echo(f"\nDone in {elapsed:.1f} s. " + (f"Workspace and executed notebook kept in {scratch}" if keep
                                                else "Run with --keep to keep the workspace."))
    click.echo(NEXT_STEP)
    if not keep:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
