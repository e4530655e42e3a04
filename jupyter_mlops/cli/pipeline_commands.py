"""Retraining commands: retrain, pipeline, schedule, sweep, reproduce (for cron and CI: ``mlops retrain churn
--notebook train.ipynb -p max_depth 8 --gate "auc >= production.auc"`` exits 1 when the notebook
fails and 3 when the gate fails; ``mlops reproduce churn:4`` exits 3 when the version does not
reproduce). Runs are listed by ``mlops runs``."""

from __future__ import annotations

import click

from . import emit, inputs, main, workspace

_GATE = 'expression deciding approval, e.g. "auc >= production.auc - 0.005"'
_DEPLOY = "deploy on a pass: canary:10, canary:10:bake=60, linear:25, ab:50, blue_green, replace"
GATE_FAILED_EXIT = 3
REPRODUCTION_FAILED_EXIT = 3


def _release_options(func):
    """The options retrain, pipeline and schedule share: what happens after the notebook."""
    for decorate in reversed([
        click.option("-p", "--parameter", "parameters", nargs=2, multiple=True, metavar="NAME VALUE",
                     help="a notebook parameter (repeat -p for more); the value is read as a Python literal"),
        click.option("--gate", help=_GATE),
        click.option("--deploy", help=_DEPLOY),
        click.option("--promote", metavar="ALIAS", help="point ALIAS (e.g. production) at the new version on a pass"),
        click.option("--endpoint", "-e", help="the endpoint --deploy rolls out to (default: the model's name)"),
        click.option("--timeout", type=float, help="seconds the whole notebook may run"),
        click.option("--retries", type=int, default=0, show_default=True,
                     help="run a failed notebook again this many times"),
    ]):
        func = decorate(func)
    return func


def _options(parameters, gate, deploy, promote, endpoint, timeout, retries) -> dict:
    return dict(parameters=inputs.notebook_parameters(parameters) or None, gate=gate, deploy=deploy,
                timeout=timeout, retries=retries, promote=promote, endpoint=endpoint)


def _emit_run(ctx, run) -> None:
    emit(ctx, run)
    if run.status == "gate_failed":
        ctx.exit(GATE_FAILED_EXIT)


@main.command("retrain")
@click.argument("name")
@click.option("--notebook", required=True, type=click.Path(dir_okay=False), help="the retraining notebook")
@_release_options
@click.pass_context
def retrain_cmd(ctx, name, notebook, **options):
    """Run NAME's retraining notebook in a fresh kernel; the gate decides what becomes of its version."""
    _emit_run(ctx, workspace(ctx).retrain(name, notebook, **_options(**options)))


@main.command("pipeline")
@click.argument("name")
@click.option("--steps", required=True, multiple=True, type=click.Path(dir_okay=False),
              help="a notebook of the pipeline (repeat --steps, in order)")
@click.option("--no-cache", is_flag=True, help="run every step, even those unchanged since they last ran")
@_release_options
@click.pass_context
def pipeline_cmd(ctx, name, steps, no_cache, **options):
    """Run notebooks in order for NAME; unchanged steps are reused from the step cache."""
    _emit_run(ctx, workspace(ctx).pipeline(name, list(steps), **_options(**options), cache=not no_cache))


@main.command("schedule")
@click.argument("name")
@click.option("--notebook", required=True, multiple=True, type=click.Path(dir_okay=False),
              help="the retraining notebook (repeat for a pipeline)")
@click.option("--cron", help='a cron string, e.g. "0 3 * * *"')
@click.option("--every", help="an interval: 30m, 6h, 1d")
@click.option("--on-drift", metavar="ENDPOINT", help="when monitoring finds drift on ENDPOINT")
@click.option("--timezone", help="time zone of --cron (default: this machine's)")
@_release_options
@click.pass_context
def schedule_cmd(ctx, name, notebook, cron, every, on_drift, timezone, **options):
    """Retrain NAME on a schedule (--cron, --every) or on drift of an endpoint (--on-drift)."""
    emit(ctx, workspace(ctx).schedule(name, notebook[0] if len(notebook) == 1 else list(notebook), cron=cron,
                                      every=every, on_drift=on_drift, timezone=timezone, **_options(**options)))


@main.command("sweep")
@click.argument("name")
@click.option("--notebook", required=True, type=click.Path(dir_okay=False), help="the training notebook")
@click.option("--grid", help='parameter -> values, every combination a trial: \'{"C": [0.1, 1, 10]}\'')
@click.option("--trials", help='the parameter sets themselves: \'[{"C": 0.1}, {"C": 1, "max_depth": 8}]\'')
@click.option("--workers", type=int, default=2, show_default=True,
              help="trials running at once, each in its own kernel")
@click.option("--metric", help="what the best trial is best at (default: the gate's first metric)")
@click.option("--direction", type=click.Choice(["max", "min"]), default="max", show_default=True,
              help="max: the highest metric is best")
@click.option("--gate", help=_GATE + ", applied to the best trial's version")
@click.option("--deploy", help=_DEPLOY)
@click.option("--promote", metavar="ALIAS", help="point ALIAS at the best trial's version on a pass")
@click.option("--endpoint", "-e", help="the endpoint --deploy rolls out to (default: the model's name)")
@click.option("--timeout", type=float, help="seconds each trial's notebook may run")
@click.pass_context
def sweep_cmd(ctx, name, notebook, grid, trials, **options):
    """Run NAME's notebook once per parameter set in parallel kernels and gate the best trial (exit 1:
    every trial or the release failed, 3: the gate did)."""
    sweep = workspace(ctx).sweep(name, notebook, grid=inputs.sweep_sets(grid, "--grid", dict),
                                 trials=inputs.sweep_sets(trials, "--trials", list), **options)
    emit(ctx, sweep)
    if sweep.status in ("failed", "gate_failed"):
        ctx.exit(1 if sweep.status == "failed" else GATE_FAILED_EXIT)


@main.command("reproduce")
@click.argument("ref")
@click.option("--tolerance", multiple=True, metavar="TOL",
              help="how far reproduced metrics and numbers may be: 0.001 (absolute), or abs=0.001 and rel=0.01 "
                   "(repeat; default abs=1e-6 rel=1e-4)")
@click.pass_context
def reproduce_cmd(ctx, ref, tolerance):
    """Re-run the notebook that made REF with its recorded parameters and compare (exit 3: FAIL)."""
    result = workspace(ctx).reproduce(ref, tolerance=inputs.reproduction_tolerance(tolerance))
    emit(ctx, result)
    if result.status != "PASS":
        ctx.exit(REPRODUCTION_FAILED_EXIT)
