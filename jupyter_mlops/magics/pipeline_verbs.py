"""Retraining verbs: retrain, pipeline, schedule, sweep, reproduce. Each body is one Workspace call;
``-p NAME VALUE`` (papermill's own form) is read by ``inputs.notebook_parameters``, ``--grid`` and
``--trials`` by ``inputs.sweep_sets``, ``--tolerance`` by ``inputs.reproduction_tolerance``. Runs
are listed by ``runs``."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ._verbs import inputs, unquote, verb

_PARAMETER = dict(nargs=2, action="append", dest="parameters", metavar=("NAME", "VALUE"),
                  help="a notebook parameter (repeat -p for more); the value is read as a Python literal")
_GATE = "expression deciding approval, e.g. \"auc >= production.auc - 0.005\" (quote it)"
_DEPLOY = "deploy on a pass: canary:10, canary:10:bake=60, linear:25, ab:50, blue_green, replace"
_TOLERANCE = ("how far reproduced metrics and numbers may be: 0.001 (absolute), or abs=0.001 rel=0.01 "
              "(default abs=1e-6 rel=1e-4)")


def _release_arguments(func):
    """The options retrain, pipeline and schedule share: what happens after the notebook."""
    for decorate in reversed([
        argument("-p", "--parameter", **_PARAMETER),
        argument("--gate", help=_GATE),
        argument("--deploy", help=_DEPLOY),
        argument("--promote", metavar="ALIAS", help="point ALIAS (e.g. production) at the new version on a pass"),
        argument("--endpoint", "-e", help="the endpoint --deploy rolls out to (default: the one named like the model)"),
        argument("--timeout", type=float, help="seconds the whole notebook may run"),
        argument("--retries", type=int, default=0, help="run a failed notebook again this many times"),
    ]):
        func = decorate(func)
    return func


def _release_options(args) -> dict:
    return dict(parameters=inputs.notebook_parameters(args.parameters) or None, gate=unquote(args.gate),
                deploy=args.deploy, timeout=args.timeout, retries=args.retries, promote=args.promote,
                endpoint=args.endpoint)


@verb("retrain")
@argument("name", help="the model the notebook registers a new version of")
@argument("--notebook", required=True, help="the retraining notebook (.ipynb, with a cell tagged parameters)")
@_release_arguments
def retrain(view, args):
    """Run a retraining notebook with papermill in a fresh kernel; the gate decides what becomes of its version."""
    return view.ws.retrain(args.name, args.notebook, **_release_options(args))


@verb("pipeline")
@argument("name", help="the model the pipeline registers a new version of")
@argument("--steps", nargs="+", required=True, metavar="NOTEBOOK", help="the notebooks, in order")
@argument("--no-cache", action="store_true", help="run every step, even those unchanged since they last ran")
@_release_arguments
def pipeline(view, args):
    """Run notebooks in order; each step's output() values reach the later steps; unchanged steps are reused."""
    return view.ws.pipeline(args.name, args.steps, **_release_options(args), cache=not args.no_cache)


@verb("schedule")
@argument("name", help="the model to retrain")
@argument("--notebook", nargs="+", required=True, metavar="NOTEBOOK",
          help="the retraining notebook (several: a pipeline)")
@argument("--cron", help="a cron string, e.g. \"0 3 * * *\" (quote it)")
@argument("--every", help="an interval: 30m, 6h, 1d")
@argument("--on-drift", dest="on_drift", metavar="ENDPOINT",
          help="when monitoring finds drift on ENDPOINT (monitor it with --on-violation retrain)")
@argument("--timezone", help="time zone of --cron (default: this machine's)")
@_release_arguments
def schedule(view, args):
    """Retrain on a schedule (--cron, --every) or on drift of an endpoint (--on-drift); the daemon runs it."""
    notebook = args.notebook[0] if len(args.notebook) == 1 else args.notebook
    return view.ws.schedule(args.name, notebook, cron=unquote(args.cron), every=args.every, on_drift=args.on_drift,
                            timezone=args.timezone, **_release_options(args))


@verb("sweep")
@argument("name", help="the model each trial registers a version of")
@argument("--notebook", required=True, help="the training notebook (.ipynb, with a cell tagged parameters)")
@argument("--grid", help='parameter -> values, every combination a trial: \'{"C": [0.1, 1, 10]}\' (quote it)')
@argument("--trials", help='the parameter sets themselves: \'[{"C": 0.1}, {"C": 1, "max_depth": 8}]\'')
@argument("--workers", type=int, default=2, help="trials running at once, each in its own kernel")
@argument("--metric", help="what the best trial is best at (default: the gate's first metric)")
@argument("--direction", choices=["max", "min"], default="max", help="max: the highest metric is best")
@argument("--gate", help=_GATE + ", applied to the best trial's version")
@argument("--deploy", help=_DEPLOY)
@argument("--promote", metavar="ALIAS", help="point ALIAS at the best trial's version on a pass")
@argument("--endpoint", "-e", help="the endpoint --deploy rolls out to (default: the one named like the model)")
@argument("--timeout", type=float, help="seconds each trial's notebook may run")
def sweep(view, args):
    """Run a notebook once per parameter set in parallel kernels; compare the trials; gate the best one."""
    return view.ws.sweep(args.name, args.notebook, grid=inputs.sweep_sets(unquote(args.grid), "--grid", dict),
                         trials=inputs.sweep_sets(unquote(args.trials), "--trials", list), workers=args.workers,
                         gate=unquote(args.gate), deploy=args.deploy, promote=args.promote, endpoint=args.endpoint,
                         timeout=args.timeout, metric=args.metric, direction=args.direction)


@verb("reproduce")
@argument("ref", help="the version to reproduce, e.g. churn:4 (registered by a run)")
@argument("--tolerance", nargs="+", action="extend", metavar="TOL", help=_TOLERANCE)
def reproduce(view, args):
    """Re-run the notebook that made a version with its recorded parameters, and compare (PASS/FAIL)."""
    return view.ws.reproduce(args.ref, tolerance=inputs.reproduction_tolerance(args.tolerance))
