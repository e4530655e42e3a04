"""The ``mlops`` command: the same verbs as ``%mlops``, for shells, cron and CI.

Each command turns its options into arguments for one ``Workspace`` call (what an option means
is said once, in ``jupyter_mlops._core.inputs``) and prints the result (``--json`` for
machine-readable output). Commands live in ``*_commands.py`` modules here, one per
part; errors print as one line and exit with status 1 (2 for usage errors).
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys

import click

from .._core import inputs as _core_inputs
from ._output import echo_result

# Commands read their options through this: a bad option is a usage error (status 2), like click's.
inputs = _core_inputs.raising(click.UsageError)

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Group(click.Group):
    def invoke(self, ctx):
        from .._core.errors import MlopsError

        if os.environ.get("NO_COLOR"):  # https://no-color.org: set and not empty, no ANSI colour
            ctx.color = False
        try:
            return super().invoke(ctx)
        except MlopsError as exc:
            click.secho(f"{type(exc).__name__}: {exc}", fg="red", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings=_CONTEXT, invoke_without_command=True)
@click.option("--workspace", "-w", "home", envvar="MLOPS_HOME", type=click.Path(file_okay=False),
              help="workspace home (default: $MLOPS_HOME, else the nearest .mlops/ up the tree)")
@click.option("--json", "as_json", is_flag=True, help="print results as JSON")
@click.option("--progress/--no-progress", default=None,
              help="progress bars on stderr for batch, baseline, drift, sweep, reproduce (default: on a "
                   "terminal, once the work takes over a second)")
@click.version_option(package_name="jupyter_mlops", prog_name="mlops")
@click.pass_context
def main(ctx, home, as_json, progress):
    """jupyter_mlops: model registry, endpoints, monitoring and retraining from the shell."""
    from .._core.progress import choose_default
    from .._core.workspace import Workspace

    if progress is not None:
        choose_default(progress)

    ctx.obj = {"workspace": lambda: Workspace(home), "json": as_json}
    if ctx.invoked_subcommand is None:
        echo_result(ctx.obj["workspace"]().status(), as_json)


def workspace(ctx: click.Context):
    return ctx.find_root().obj["workspace"]()


def emit(ctx: click.Context, result) -> None:
    echo_result(result, ctx.find_root().obj["json"])


for _info in pkgutil.iter_modules(__path__):
    if _info.name.endswith("_commands"):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = ["main", "workspace", "emit", "inputs", "json"]
