"""Serving commands: deploy, watch, endpoints, traffic, rollback, invoke, logs, stop, shadow-report,
history, captured. Each makes one Workspace call."""

from __future__ import annotations

import click

from .._core.serving.control.watch import FAILED
from .._live import terminal_display
from . import emit, inputs, main, workspace

#: the exit status of deploy --wait and watch when the rollout rolled back (as a failed gate's)
ROLLED_BACK_EXIT = 3


@main.command("deploy")
@click.argument("ref", nargs=-1, required=True)
@click.option("--endpoint", "-e", help="endpoint name (default: the model's name)")
@click.option("--port", type=int, help="port on 127.0.0.1 (default: a free one)")
@click.option("--workers", type=int, default=1, show_default=True, help="worker processes")
@click.option("--capture", type=float, default=0, help="percent of requests to capture")
@click.option("--token", help="require 'Authorization: Bearer TOKEN'")
@click.option("--variant", help="variant name (default <model>-v<version>)")
@click.option("--canary", type=float, metavar="PCT", help="canary at PCT%, bake, then 100%")
@click.option("--linear", type=float, metavar="PCT", help="steps of PCT% with a bake after each")
@click.option("--blue-green", is_flag=True, help="all at once, once healthy")
@click.option("--shadow", type=float, metavar="PCT", help="copy PCT% of requests to it")
@click.option("--ab", type=float, metavar="PCT", help="A/B test at PCT%")
@click.option("--bake", type=float, help="seconds per step (default 60)")
@click.option("--max-error-rate", type=float, help="guardrail: max error rate (0-1)")
@click.option("--max-p99-ms", type=float, help="guardrail: max p99 latency in ms")
@click.option("--no-compiled", is_flag=True, help="never predict a tree model through its compiled form")
@click.option("--wait", is_flag=True, help="show the rollout on stderr until it ends; exit 3 if it rolled back")
@click.option("--async-concurrency", type=int, metavar="N", help="async requests processed at a time (default 1)")
@click.option("--async-output", metavar="URL", help="folder or fsspec URL for async results")
@click.option("--async-notify-success", metavar="URL", help="POST SageMaker's success notification here")
@click.option("--async-notify-error", metavar="URL", help="POST SageMaker's error notification here")
@click.option("--serverless", is_flag=True, help="release the workers' memory when idle; the next request starts them")
@click.option("--idle", type=float, metavar="S", help="serverless: seconds without traffic before release (default 300)")
@click.option("--max-concurrency", type=int, metavar="C", help="serverless: throttle past C requests at once")
@click.option("--provisioned", type=int, metavar="N", help="serverless: N workers always warm")
@click.option("--multi-model", is_flag=True, help="one endpoint serves every REF, each loaded on first use (TargetModel)")
@click.option("--max-models", type=int, metavar="K", help="multi-model: at most K loaded, least recently used evicted")
@click.option("--max-memory-mb", type=float, metavar="M", help="multi-model: memory budget of the loaded models")
@click.pass_context
def deploy_cmd(ctx, ref, endpoint, port, workers, capture, token, variant, canary, linear,
               blue_green, shadow, ab, bake, max_error_rate, max_p99_ms, no_compiled, wait,
               async_concurrency, async_output, async_notify_success, async_notify_error,
               serverless, idle, max_concurrency, provisioned, multi_model, max_models, max_memory_mb):
    """Serve REF at a local endpoint, or roll it out on a running one; several REFs behind one
    endpoint with --multi-model."""
    ref, multi = inputs.multi_model_options(ref, multi_model, max_models, max_memory_mb)
    strategy, percent = inputs.rollout_from_flags(canary, linear, blue_green, shadow, ab)
    waiting = {"wait": True, "on_update": terminal_display()} if wait else {}
    ep = workspace(ctx).deploy(ref, endpoint, port=port, workers=workers, capture=capture,
                               token=token, strategy=strategy, percent=percent, bake=bake,
                               guardrails=inputs.guardrails_from(max_error_rate, max_p99_ms), variant=variant,
                               compiled=not no_compiled, **waiting,
                               **inputs.async_options(async_concurrency, async_output,
                                                      async_notify_success, async_notify_error),
                               **inputs.serverless_options(serverless, idle, max_concurrency, provisioned),
                               **multi)
    emit(ctx, ep)
    if wait and (ep.rollout or {}).get("status") in FAILED:
        ctx.exit(ROLLED_BACK_EXIT)


@main.command("watch")
@click.argument("endpoint")
@click.option("--timeout", type=float, help="stop watching after S seconds (default: until the rollout ends)")
@click.pass_context
def watch_cmd(ctx, endpoint, timeout):
    """Follow ENDPOINT's rollout on stderr until it ends, then print its final state.

    Exits 0 when it completed (or none runs), 3 when it rolled back or was refused, 1 when
    --timeout passed first."""
    look = workspace(ctx).watch(endpoint, timeout=timeout, on_update=terminal_display())
    emit(ctx, look)
    if look.failed:
        ctx.exit(ROLLED_BACK_EXIT)
    if not look.finished:
        ctx.exit(1)


@main.command("endpoints")
@click.option("--all", "-a", "all_", is_flag=True, help="also the stopped endpoints")
@click.pass_context
def endpoints_cmd(ctx, all_):
    """The endpoints with live status and metrics (stopped ones with --all)."""
    emit(ctx, workspace(ctx).endpoints(all=all_))


@main.command("traffic")
@click.argument("endpoint")
@click.argument("weights", nargs=-1, required=True)
@click.pass_context
def traffic_cmd(ctx, endpoint, weights):
    """Set weights: mlops traffic churn churn-v3=50 churn-v4=50"""
    emit(ctx, workspace(ctx).traffic(endpoint, inputs.traffic_weights(weights)))


@main.command("rollback")
@click.argument("endpoint")
@click.pass_context
def rollback_cmd(ctx, endpoint):
    """Abort the rollout in progress, or undo the last change."""
    emit(ctx, workspace(ctx).rollback(endpoint))


@main.command("invoke")
@click.argument("endpoint")
@click.option("--data", "-d", required=True, help="rows to send (.csv/.parquet)")
@click.option("--variant", help="TargetVariant")
@click.option("--model", "-m", help="a multi-model endpoint's model, e.g. churn:3 (TargetModel)")
@click.pass_context
def invoke_cmd(ctx, endpoint, data, variant, model):
    """Send rows to ENDPOINT and print the predictions."""
    rows = inputs.read_frame(data)
    emit(ctx, workspace(ctx).endpoint(endpoint).predict(rows, variant=variant,
                                                        **({"model": model} if model else {})).tolist())


@main.command("logs")
@click.argument("endpoint")
@click.pass_context
def logs_cmd(ctx, endpoint):
    """Print the endpoint's log."""
    click.echo(workspace(ctx).endpoint(endpoint).logs())


@main.command("stop")
@click.argument("endpoint")
@click.pass_context
def stop_cmd(ctx, endpoint):
    """Stop ENDPOINT (drains in-flight requests)."""
    workspace(ctx).stop(endpoint)


@main.command("shadow-report")
@click.argument("endpoint")
@click.pass_context
def shadow_report_cmd(ctx, endpoint):
    """Shadow agreement and latency against production."""
    emit(ctx, workspace(ctx).shadow_report(endpoint))


@main.command("history")
@click.argument("endpoint")
@click.option("--last", help="how far back: 15min, 1h (default: all the endpoint keeps, up to an hour)")
@click.pass_context
def history_cmd(ctx, endpoint, last):
    """Requests, errors, req/s and p50/p99 per variant over time."""
    emit(ctx, workspace(ctx).endpoint_history(endpoint, last=last))


@main.command("captured")
@click.argument("endpoint")
@click.option("--since", help="30m, 1h, 7d or an ISO time")
@click.option("--with-ground-truth", is_flag=True, help="only the labelled rows, with a label column")
@click.pass_context
def captured_cmd(ctx, endpoint, since, with_ground_truth):
    """Captured requests (CSV-like table)."""
    emit(ctx, workspace(ctx).captured(endpoint, since=since, with_ground_truth=with_ground_truth))


@main.command("batch")
@click.argument("ref")
@click.option("--input", "-i", "input_", required=True,
              help=".csv, .jsonl or .parquet, or a folder of them (any fsspec URL)")
@click.option("--output", "-o", required=True,
              help="an output file for one input, else a folder receiving <input>.out per file")
@click.option("--chunk-rows", type=int, default=10_000, show_default=True)
@click.option("--workers", type=int, default=1, show_default=True, help="worker processes")
@click.option("--dask", help="Dask scheduler address")
@click.option("--no-join-input", is_flag=True, help="write the predictions alone (JoinSource=None)")
@click.option("--split", default="Line", show_default=True, help="Line or None (the whole file)")
@click.option("--assemble", default="Line", show_default=True, help="Line or None (one JSON array)")
@click.option("--errors", type=click.Choice(["raise", "file"]), default="raise", show_default=True,
              help="file: bad records to <output>.err instead of stopping at the first")
@click.option("--job-id", help="the job's id (default: a new one)")
@click.option("--resume", is_flag=True, help="continue --job-id from its last finished chunk")
@click.pass_context
def batch_cmd(ctx, ref, input_, output, chunk_rows, workers, dask, no_join_input, split, assemble,
              errors, job_id, resume):
    """Batch transform: score INPUT with REF, write input + prediction to OUTPUT."""
    emit(ctx, workspace(ctx).batch(ref, input_, output, chunk_rows=chunk_rows, workers=workers,
                                   dask=dask, join_input=not no_join_input,
                                   split=inputs.sagemaker_split(split),
                                   assemble=inputs.sagemaker_split(assemble), errors=errors,
                                   job_id=job_id, resume=resume))


@main.command("batch-jobs")
@click.pass_context
def batch_jobs_cmd(ctx):
    """The batch jobs (a killed one shows interrupted until resumed)."""
    emit(ctx, workspace(ctx).batch_jobs())
