"""Replay and ground-truth verbs: replay, ground-truth. Each body is one Workspace call."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ._verbs import verb


@verb("replay")
@argument("ref", help="the candidate version, e.g. churn:4")
@argument("--endpoint", "-e", required=True, help="the endpoint whose captured requests are replayed")
@argument("--since", help="only requests since: 30m, 1h, 1d or an ISO time (default: all captured)")
def replay(view, args):
    """Run a candidate offline on an endpoint's captured requests: agreement with production,
    where predictions changed by feature, latency per request."""
    return view.ws.replay(args.ref, args.endpoint, since=args.since)


@verb("ground-truth")
@argument("endpoint", help="the endpoint whose captured requests the labels are for")
@argument("--labels", "-l", required=True,
          help="variable: a DataFrame with inference_id and label columns, or a dict inference_id -> label")
def ground_truth(view, args):
    """Upload labels for captured requests (SageMaker Model Monitor ground truth, by inference id)."""
    return view.ws.ground_truth(args.endpoint, view.value(args.labels, "--labels"))
