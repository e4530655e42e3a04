"""Monitoring commands: baseline, import-baseline, check, drift, quality, bias, attribution,
concept-drift. Data options take .csv or .parquet files.

The report commands print the report's table (``to_text()``) and, for cron and CI, exit 3 when the
report is an alert (drift, violations, a degraded metric), like the gate and reproduction
commands; 1 is an error, 2 a usage error."""

from __future__ import annotations

import click

from . import emit, inputs, main, workspace

#: exit status of a report command whose report is an alert (its status "alert")
ALERT_EXIT = 3


def emit_report(ctx: click.Context, report) -> None:
    emit(ctx, report)
    if report.status() == "alert":
        ctx.exit(ALERT_EXIT)


@main.command("baseline")
@click.argument("ref")
@click.option("--data", "-d", help="baseline features (.csv/.parquet); omit to show the stored baseline")
@click.option("--target", "-t", help="a column of --data, or a file with the labels")
@click.option("--save", "save_dir", type=click.Path(file_okay=False), help="also write statistics.json and constraints.json here")
@click.pass_context
def baseline_cmd(ctx, ref, data, target, save_dir):
    """Make (or show) REF's baseline: Model Monitor statistics and constraints."""
    df = inputs.read_frame(data)
    result = workspace(ctx).baseline(ref, df, target=inputs.target_reference(target, df, inputs.read_labels))
    if save_dir:
        result.save(save_dir)
    emit(ctx, result)


@main.command("import-baseline")
@click.argument("ref")
@click.option("--statistics", "-s", required=True, type=click.Path(dir_okay=False),
              help="statistics.json of a Model Monitor baselining job")
@click.option("--constraints", "-c", required=True, type=click.Path(dir_okay=False),
              help="its constraints.json")
@click.pass_context
def import_baseline_cmd(ctx, ref, statistics, constraints):
    """Store a SageMaker Model Monitor baseline (statistics.json + constraints.json) with REF."""
    emit(ctx, workspace(ctx).import_baseline(ref, statistics, constraints))


@main.command("check")
@click.argument("target")
@click.option("--data", "-d", help="data to check (.csv/.parquet) instead of captured traffic")
@click.option("--since", help="captured window: 30m, 1h, 7d or an ISO time")
@click.option("--variant", help="an endpoint variant (default: the main production variant)")
@click.option("--save", "save_path", help="write the report (.html + .json + constraint_violations.json)")
@click.pass_context
def check_cmd(ctx, target, data, since, variant, save_path):
    """Data quality violations and drift of an endpoint's captured traffic (or --data).

    Exits 3 when there are violations or dataset drift."""
    result = workspace(ctx).check(target, data=inputs.read_frame(data), since=since, variant=variant)
    if save_path:
        result.save(save_path)
    emit_report(ctx, result)


@main.command("drift")
@click.option("--reference", "-r", required=True, help="reference data file, or a model ref (its baseline)")
@click.option("--current", "-c", required=True, help="current data file")
@click.option("--method", "-m", default="auto", show_default=True, help="auto, ks, chi2, psi, wasserstein, jensenshannon")
@click.option("--threshold", type=float, help="threshold for every feature")
@click.option("--drift-share", type=float, default=0.5, show_default=True)
@click.option("--save", "save_path", help="write the report (.html + .json)")
@click.pass_context
def drift_cmd(ctx, reference, current, method, threshold, drift_share, save_path):
    """Per-feature drift between two data files.

    Exits 3 when the dataset drifts (at least --drift-share of the features drifted)."""
    ref = inputs.read_frame(reference) if inputs.is_data_file(reference) else reference  # else its baseline
    result = workspace(ctx).drift(ref, inputs.read_frame(current), method=method, threshold=threshold,
                                  drift_share=drift_share)
    if save_path:
        result.save(save_path)
    emit_report(ctx, result)


@main.command("quality")
@click.argument("target")
@click.option("--ground-truth", "-g", help="labels file (one column, or inference_id + label)")
@click.option("--data", "-d", help="inputs file instead of captured traffic")
@click.option("--since", help="captured window")
@click.option("--threshold", multiple=True, metavar="METRIC=LIMIT", help="absolute limits, e.g. accuracy=0.8")
@click.pass_context
def quality_cmd(ctx, target, ground_truth, data, since, threshold):
    """Model quality of an endpoint or model against its baseline metrics.

    Exits 3 when a metric degraded past its limit."""
    emit_report(ctx, workspace(ctx).quality(target, inputs.read_labels(ground_truth), data=inputs.read_frame(data),
                                     since=since, thresholds=inputs.parse_pairs(threshold, "--threshold") or None))


@main.command("bias")
@click.argument("ref")
@click.option("--data", "-d", required=True, help="features file with the facet column")
@click.option("--target", "-t", required=True, help="a column of --data, or a labels file")
@click.option("--facet", "-f", required=True)
@click.option("--facet-value")
@click.option("--label-value")
@click.pass_context
def bias_cmd(ctx, ref, data, target, facet, facet_value, label_value):
    """SageMaker Clarify bias metrics for a facet, with bias drift against the baseline.

    Exits 3 when the bias drifted against the baseline."""
    df = inputs.read_frame(data)
    emit_report(ctx, workspace(ctx).bias(ref, df, inputs.target_reference(target, df, inputs.read_labels), facet,
                                  facet_value=inputs.number_or_text(facet_value),
                                  label_value=inputs.number_or_text(label_value)))


@main.command("attribution")
@click.argument("ref")
@click.option("--data", "-d", required=True, help="current data file")
@click.pass_context
def attribution_cmd(ctx, ref, data):
    """SHAP feature attribution drift (NDCG of the ranking) against the baseline.

    Exits 3 when the attribution drifted (NDCG under its threshold)."""
    emit_report(ctx, workspace(ctx).attribution_drift(ref, inputs.read_frame(data)))


@main.command("concept-drift")
@click.argument("target")
@click.option("--ground-truth", "-g", required=True, help="labels file")
@click.option("--data", "-d", help="inputs file instead of captured traffic")
@click.option("--since", help="captured window")
@click.pass_context
def concept_drift_cmd(ctx, target, ground_truth, data, since):
    """DDM / Page-Hinkley / ADWIN over the per-request error stream.

    Exits 3 when a detector found a change."""
    emit_report(ctx, workspace(ctx).concept_drift(target, inputs.read_labels(ground_truth), data=inputs.read_frame(data),
                                           since=since))
