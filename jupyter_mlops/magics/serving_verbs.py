"""Serving verbs: deploy, watch, endpoints, traffic, rollback, invoke, logs, stop, shadow-report,
history, captured, batch. Each body is one Workspace call."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from .. import _live as live
from ._verbs import inputs, verb


@verb("deploy")
@argument("ref", nargs="+", help="the model version to serve, e.g. churn@production or churn:4 "
          "(several with --multi-model)")
@argument("--endpoint", "-e", help="endpoint name (created if it does not run yet; default: the model's name)")
@argument("--port", type=int, help="port on 127.0.0.1 (default: a free one)")
@argument("--workers", type=int, default=1, help="worker processes (SO_REUSEPORT, one socket each)")
@argument("--capture", type=float, default=0, help="percent of requests to capture (0-100)")
@argument("--token", help="require 'Authorization: Bearer TOKEN' on every request")
@argument("--variant", help="variant name (default: <model>-v<version>)")
@argument("--canary", type=float, metavar="PCT", help="canary: PCT%% of traffic, bake, then 100%%")
@argument("--linear", type=float, metavar="PCT", help="linear: steps of PCT%% with a bake after each")
@argument("--blue-green", action="store_true", help="all at once, once loaded and healthy")
@argument("--shadow", type=float, metavar="PCT", help="shadow: copy PCT%% of requests, answers unused")
@argument("--ab", type=float, metavar="PCT", help="A/B test: add at PCT%%, promote nothing")
@argument("--bake", type=float, help="seconds to watch each step before the next (default 60)")
@argument("--max-error-rate", type=float, help="guardrail: roll back above this error rate (0-1)")
@argument("--max-p99-ms", type=float, help="guardrail: roll back above this p99 latency")
@argument("--no-compiled", action="store_true",
          help="never predict a tree model through its compiled (ONNX Runtime) form")
@argument("--wait", action="store_true", help="show the rollout live until it completes or rolls back")
@argument("--async-concurrency", type=int, metavar="N", help="async requests processed at a time (default 1)")
@argument("--async-output", metavar="URL", help="folder or fsspec URL for async results (default: the endpoint's)")
@argument("--async-notify-success", metavar="URL", help="POST SageMaker's success notification here")
@argument("--async-notify-error", metavar="URL", help="POST SageMaker's error notification here")
@argument("--serverless", action="store_true",
          help="release the workers' memory when idle; the next request starts them again")
@argument("--idle", type=float, metavar="S", help="serverless: seconds without traffic before release (default 300)")
@argument("--max-concurrency", type=int, metavar="C", help="serverless: throttle past C requests at once")
@argument("--provisioned", type=int, metavar="N", help="serverless: N workers always warm")
@argument("--multi-model", action="store_true",
          help="one endpoint serves every REF, each loaded on first use (boto3 TargetModel=REF)")
@argument("--max-models", type=int, metavar="K", help="multi-model: at most K loaded, least recently used evicted")
@argument("--max-memory-mb", type=float, metavar="M", help="multi-model: memory budget of the loaded models")
def deploy(view, args):
    """Serve a model version at a local endpoint, or roll it out on a running one."""
    strategy, percent = inputs.rollout_from_flags(args.canary, args.linear, args.blue_green, args.shadow, args.ab)
    waiting = {"wait": True, "on_update": live.notebook_display()} if args.wait else {}
    ref, multi_model = inputs.multi_model_options(args.ref, args.multi_model, args.max_models,
                                                  args.max_memory_mb)
    return view.ws.deploy(ref, args.endpoint, port=args.port, workers=args.workers,
                          capture=args.capture, token=args.token, strategy=strategy, percent=percent,
                          bake=args.bake, guardrails=inputs.guardrails_from(args.max_error_rate, args.max_p99_ms),
                          variant=args.variant, compiled=not args.no_compiled, **waiting,
                          **inputs.async_options(args.async_concurrency, args.async_output,
                                                 args.async_notify_success, args.async_notify_error),
                          **inputs.serverless_options(args.serverless, args.idle, args.max_concurrency,
                                                      args.provisioned),
                          **multi_model)


@verb("watch")
@argument("endpoint", help="endpoint name")
@argument("--timeout", type=float, help="stop watching after this many seconds (default: until it ends)")
def watch(view, args):
    """Show the endpoint's rollout live (weights, bake countdown, error rate and p99 against each
    guardrail) until it completes or rolls back; at once when none is running."""
    return view.ws.watch(args.endpoint, timeout=args.timeout, on_update=live.notebook_display())


@verb("endpoints")
@argument("--all", "-a", dest="all", action="store_true", help="also the stopped endpoints")
def endpoints(view, args):
    """The endpoints: status, variants and weights, req/s, p50, p99, error rate, CPU, RSS."""
    return view.ws.endpoints(all=args.all)


@verb("traffic")
@argument("endpoint", help="endpoint name")
@argument("weights", nargs="+", metavar="VARIANT=WEIGHT", help="e.g. churn-v3=50 churn-v4=50")
def traffic(view, args):
    """Set variant weights (share = weight / sum) without a restart."""
    return view.ws.traffic(args.endpoint, inputs.traffic_weights(args.weights))


@verb("rollback")
@argument("endpoint", help="endpoint name")
def rollback(view, args):
    """Abort the rollout in progress, or restore the variants before the last change."""
    return view.ws.rollback(args.endpoint)


@verb("invoke")
@argument("endpoint", help="endpoint name")
@argument("--data", "-d", required=True, help="variable with the rows to send (DataFrame, array, list)")
@argument("--variant", help="send to this variant (TargetVariant)")
@argument("--model", "-m", help="a multi-model endpoint's model, e.g. churn:3 (TargetModel)")
def invoke(view, args):
    """Call the endpoint over HTTP and return the predictions."""
    rows = view.value(args.data, "--data")
    return view.ws.endpoint(args.endpoint).predict(rows, variant=args.variant,
                                                   **({"model": args.model} if args.model else {}))


@verb("logs")
@argument("endpoint", help="endpoint name")
def logs(view, args):
    """The endpoint process's log."""
    print(view.ws.endpoint(args.endpoint).logs())


@verb("stop")
@argument("endpoint", help="endpoint name")
def stop(view, args):
    """Stop the endpoint: in-flight requests drain (SIGTERM), SIGKILL after 30 s."""
    return view.ws.stop(args.endpoint)


@verb("shadow-report")
@argument("endpoint", help="endpoint name")
def shadow_report(view, args):
    """Agreement and latency of the shadow variant against production."""
    return view.ws.shadow_report(args.endpoint)


@verb("history")
@argument("endpoint", help="endpoint name")
@argument("--last", help="how far back: 15min, 1h (default: all the endpoint keeps, up to an hour)")
def history(view, args):
    """Requests, errors, req/s and p50/p99 per variant over time, charted (kept by the endpoint)."""
    return view.ws.endpoint_history(args.endpoint, last=args.last)


@verb("captured")
@argument("endpoint", help="endpoint name")
@argument("--since", help="30m, 1h, 7d or an ISO time")
@argument("--with-ground-truth", action="store_true",
          help="only the rows labelled by ground-truth uploads, with a label column")
def captured(view, args):
    """Captured requests as a DataFrame (inputs, prediction, inference_id, time, variant)."""
    return view.ws.captured(args.endpoint, since=args.since, with_ground_truth=args.with_ground_truth)


@verb("batch")
@argument("ref", help="the model version, e.g. churn@production")
@argument("--input", "-i", required=True,
          help="a .csv, .jsonl or .parquet file, or a folder of them (any fsspec URL)")
@argument("--output", "-o", required=True,
          help="an output file for one input, else a folder receiving <input>.out per file")
@argument("--chunk-rows", type=int, default=10_000, help="records per chunk")
@argument("--workers", type=int, default=1, help="worker processes scoring chunks")
@argument("--dask", help="a Dask scheduler address to run on (e.g. tcp://127.0.0.1:8786)")
@argument("--no-join-input", action="store_true", help="write the predictions alone (JoinSource=None)")
@argument("--split", default="Line", help="Line (a record per line) or None (the whole file)")
@argument("--assemble", default="Line", help="Line (a record per line) or None (one JSON array)")
@argument("--errors", choices=["raise", "file"], default="raise",
          help="raise: stop at a bad record (file and line); file: write it to <output>.err")
@argument("--job-id", help="the job's id (default: a new one)")
@argument("--resume", action="store_true", help="continue job --job-id from its last finished chunk")
def batch(view, args):
    """Batch transform: score files in chunks with a registered version."""
    return view.ws.batch(args.ref, args.input, args.output, chunk_rows=args.chunk_rows,
                         workers=args.workers, dask=args.dask, join_input=not args.no_join_input,
                         split=inputs.sagemaker_split(args.split),
                         assemble=inputs.sagemaker_split(args.assemble), errors=args.errors,
                         job_id=args.job_id, resume=args.resume)


@verb("batch-jobs")
def batch_jobs(view, args):
    """The batch jobs: id, ref, input, output, status, rows, seconds, engine."""
    return view.ws.batch_jobs()
