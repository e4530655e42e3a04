"""Monitoring verbs: baseline, check, drift, quality, bias, attribution, concept-drift. Each body is
one Workspace call (``monitor`` and ``scheduler`` belong to the scheduler's verbs)."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ._verbs import parse_pairs, verb


def _number(text):
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text


@verb("baseline")
@argument("ref", help="the model version, e.g. churn:3")
@argument("--data", "-d", help="variable with the baseline features (e.g. X_train); omit to show the stored baseline")
@argument("--target", "-t", help="variable (or column of --data) with the labels: adds quality metrics and bias baselines")
def baseline(view, args):
    """Make (or show) a version's baseline: statistics.json + constraints.json of its training data."""
    return view.ws.baseline(args.ref, view.value(args.data, "--data"), target=_target(view, args))


@verb("check")
@argument("target", help="an endpoint name (its captured traffic) or a model reference with --data")
@argument("--data", "-d", help="variable with the data to check (instead of captured traffic)")
@argument("--since", help="captured window: 30m, 1h, 7d or an ISO time")
@argument("--variant", help="an endpoint variant to check (default: the main production variant)")
def check(view, args):
    """Data quality violations and drift of captured traffic (or --data) against the baseline."""
    return view.ws.check(args.target, data=view.value(args.data, "--data"), since=args.since, variant=args.variant)


@verb("drift")
@argument("--reference", "-r", required=True, help="variable with the reference data (or a model ref: its baseline)")
@argument("--current", "-c", required=True, help="variable with the current data")
@argument("--method", "-m", default="auto", help="auto, ks, chi2, psi, wasserstein or jensenshannon")
@argument("--threshold", type=float, help="drift threshold for every feature (default: each test's own)")
@argument("--drift-share", type=float, default=0.5, help="share of drifted features that makes the dataset drift")
def drift(view, args):
    """Per-feature drift and the dataset verdict between two DataFrames."""
    if args.reference in view.shell.user_ns or not _looks_like_ref(args.reference):
        ref = view.value(args.reference, "--reference")
    else:
        ref = args.reference  # a model reference: its baseline profile is the reference
    return view.ws.drift(ref, view.value(args.current, "--current"), method=args.method, threshold=args.threshold,
                         drift_share=args.drift_share)


@verb("quality")
@argument("target", help="an endpoint name or a model reference with --data")
@argument("--ground-truth", "-g", help="variable with the labels (Series in order, or a DataFrame with inference_id)")
@argument("--data", "-d", help="variable with the inputs (instead of captured traffic)")
@argument("--since", help="captured window: 30m, 1h, 7d or an ISO time")
@argument("--threshold", nargs="+", action="extend", metavar="METRIC=LIMIT", help="absolute limits, e.g. accuracy=0.8 mae=3")
def quality(view, args):
    """Model quality with ground truth (or estimated from probabilities without it)."""
    return view.ws.quality(args.target, view.value(args.ground_truth, "--ground-truth"),
                           data=view.value(args.data, "--data"), since=args.since,
                           thresholds=parse_pairs(args.threshold, "--threshold") or None)


@verb("bias")
@argument("ref", help="the model version")
@argument("--data", "-d", required=True, help="variable with the features (and the facet column)")
@argument("--target", "-t", required=True, help="variable (or column of --data) with the labels")
@argument("--facet", "-f", required=True, help="the sensitive column, e.g. gender")
@argument("--facet-value", help="the disadvantaged group (default: each value against the rest)")
@argument("--label-value", help="the positive outcome (default: 1 / True / the last class)")
def bias(view, args):
    """SageMaker Clarify's bias metrics (CI, DPL, DPPL, DI, AD, RD, DAR, DCA) and bias drift."""
    return view.ws.bias(args.ref, view.value(args.data, "--data"), _target(view, args), args.facet,
                        facet_value=_number(args.facet_value) if args.facet_value else None,
                        label_value=_number(args.label_value) if args.label_value else None)


@verb("attribution")
@argument("ref", help="the model version")
@argument("--data", "-d", required=True, help="variable with the current data")
def attribution(view, args):
    """SHAP feature attribution drift against the baseline (NDCG of the ranking)."""
    return view.ws.attribution_drift(args.ref, view.value(args.data, "--data"))


@verb("concept-drift")
@argument("target", help="an endpoint name or a model reference with --data")
@argument("--ground-truth", "-g", help="variable with the labels")
@argument("--data", "-d", help="variable with the inputs (instead of captured traffic)")
@argument("--since", help="captured window")
@argument("--stream", help="variable with an error or score stream (instead of labels)")
def concept_drift(view, args):
    """DDM / Page-Hinkley / ADWIN over the error stream: when the change began, sudden or gradual."""
    return view.ws.concept_drift(args.target, view.value(args.ground_truth, "--ground-truth"),
                                 data=view.value(args.data, "--data"), since=args.since,
                                 stream=view.value(args.stream, "--stream"))


def _target(view, args):
    if args.target is None:
        return None
    data = view.value(args.data, "--data") if getattr(args, "data", None) else None
    if data is not None and hasattr(data, "columns") and args.target in data.columns and args.target not in view.shell.user_ns:
        return args.target  # a column of --data
    return view.value(args.target, "--target")


def _looks_like_ref(text: str) -> bool:
    return ":" in text or "@" in text
