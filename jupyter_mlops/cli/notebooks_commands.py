"""``mlops notebooks DIR``: copy the example notebooks somewhere a pip-installed user can open them."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from . import main
from ._notebooks import EXAMPLES, example_folder


@main.command("notebooks")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="overwrite notebooks of the same name already in DIRECTORY")
def notebooks_cmd(directory: Path, force: bool):
    """Copy the example notebooks (quickstart, endpoints, monitoring, retraining) into DIRECTORY.

    Refuses to overwrite an existing notebook of the same name unless --force (then it copies
    nothing)."""
    source = example_folder()
    if source is None:
        raise click.ClickException("The example notebooks are not installed with this copy of jupyter_mlops.")
    existing = [name for name in EXAMPLES if (directory / name).exists()]
    if existing and not force:
        raise click.ClickException(f"{directory} already has {', '.join(existing)}; nothing copied. "
                                   "Use --force to overwrite them.")
    directory.mkdir(parents=True, exist_ok=True)
    for name in EXAMPLES:
        shutil.copyfile(source / name, directory / name)
        click.echo(directory / name)
    click.echo(f"\nNext: jupyter lab {directory / EXAMPLES[0]}")
