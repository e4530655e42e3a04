"""Monitoring verbs: baseline, import-baseline, check, drift, quality, bias, attribution,
concept-drift. Each body is one Workspace call (``monitor`` and ``scheduler`` belong to the
scheduler's verbs)."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ._verbs import inputs, verb


@verb("baseline")
@argument("ref", help="the model version, e.g. churn:3")
@argument("--data", "-d", help="variable with the baseline features (e.g. X_train); omit to show the stored baseline")
@argument("--target", "-t", help="variable (or column of --data) with the labels: adds quality metrics and bias baselines")
def baseline(view, args):
    """Make (or show) a version's baseline: statistics.json + constraints.json of its training data."""
    data = view.value(args.data, "--data")
    return view.ws.baseline(args.ref, data,
                            target=inputs.target_reference(args.target, data, view.variables("--target")))


@verb("import-baseline")
@argument("ref", help="the model version, e.g. churn:3")
@argument("--statistics", "-s", required=True, help="a baselining job's statistics.json: a path, or a variable with the dict")
@argument("--constraints", "-c", required=True, help="its constraints.json: a path, or a variable with the dict")
def import_baseline(view, args):
    """Store a SageMaker Model Monitor baseline (statistics.json + constraints.json) with a version."""
    return view.ws.import_baseline(args.ref, _document(view, args.statistics, "--statistics"),
                                   _document(view, args.constraints, "--constraints"))


def _document(view, name: str, option: str):
    """The notebook variable ``name`` (a parsed document) if there is one, else a path."""
    variables = view.variables(option)
    return variables(name) if name in variables else name


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
    references = view.variables("--reference")
    # a model reference that is not also a variable's name: its stored baseline is the reference
    as_model = args.reference not in references and inputs.looks_like_model_ref(args.reference)
    reference = args.reference if as_model else references(args.reference)
    return view.ws.drift(reference, view.value(args.current, "--current"), method=args.method,
                         threshold=args.threshold, drift_share=args.drift_share)


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
                           thresholds=inputs.parse_pairs(args.threshold, "--threshold") or None)


@verb("bias")
@argument("ref", help="the model version")
@argument("--data", "-d", required=True, help="variable with the features (and the facet column)")
@argument("--target", "-t", required=True, help="variable (or column of --data) with the labels")
@argument("--facet", "-f", required=True, help="the sensitive column, e.g. gender")
@argument("--facet-value", help="the disadvantaged group (default: each value against the rest)")
@argument("--label-value", help="the positive outcome (default: 1 / True / the last class)")
def bias(view, args):
    """SageMaker Clarify's bias metrics (CI, DPL, DPPL, DI, AD, RD, DAR, DCA) and bias drift."""
    data = view.value(args.data, "--data")
    return view.ws.bias(args.ref, data, inputs.target_reference(args.target, data, view.variables("--target")),
                        args.facet, facet_value=inputs.number_or_text(args.facet_value),
                        label_value=inputs.number_or_text(args.label_value))


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
