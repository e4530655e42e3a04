"""Replay and ground-truth commands: replay, ground-truth. Each makes one Workspace call."""

from __future__ import annotations

import click

from . import emit, inputs, main, workspace


@main.command("replay")
@click.argument("ref")
@click.option("--endpoint", "-e", required=True, help="the endpoint whose captured requests are replayed")
@click.option("--since", help="only requests since: 30m, 1h, 1d or an ISO time (default: all captured)")
@click.pass_context
def replay_cmd(ctx, ref, endpoint, since):
    """Run REF offline on ENDPOINT's captured requests and compare with what production answered."""
    emit(ctx, workspace(ctx).replay(ref, endpoint, since=since))


@main.command("ground-truth")
@click.argument("endpoint")
@click.option("--labels", "-l", required=True, help=".csv or .parquet with inference_id and label columns")
@click.pass_context
def ground_truth_cmd(ctx, endpoint, labels):
    """Upload labels for ENDPOINT's captured requests (SageMaker ground truth, by inference id)."""
    emit(ctx, workspace(ctx).ground_truth(endpoint, inputs.read_frame(labels)))
