"""``Monitoring``: the monitor part behind the Workspace methods baseline, import_baseline, check,
drift, quality, bias, attribution_drift and concept_drift.

A target is an endpoint name or a model reference. For an endpoint, the window is its captured
traffic (serving's ``captured(endpoint, since)``) for the production variant with the largest weight, and
the model is that variant's version; for a model reference, the window is the ``data`` given.
Baselines live in the ``baselines`` table (statistics and constraints as JSON) with the reference
profile, a sample of the baseline rows and the JSON files as content-addressed artifacts.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import OrderedDict
from typing import Any

from ..collaborators import ArtifactSource, AuditAppender, DatasetSource, TrafficSource, VersionSource
from ..errors import BaselineNotFound, InsufficientData, InvalidInput, ModelNotFound, MonitorError
from ..names import as_reference, is_reference
from .baseline import make_baseline, profile_from_statistics
from .columns import as_frame
from .constraints_form import current_form
from .profile import ReferenceProfile
from .reports.monitoring import Baseline, MonitoringReport
from .window import (CAPTURE_META, as_class_labels, as_labels, features_of, join_labels, model_metrics,
                     problem_type, to_parquet)
SAMPLE_ROWS = 5000
LABEL = "__label__"


class Monitoring:
    def __init__(self, store, artifacts: ArtifactSource, audit: AuditAppender, versions: VersionSource,
                 datasets: DatasetSource, traffic: TrafficSource):
        self.store = store
        self.artifacts = artifacts
        self.audit = audit
        self.versions = versions
        self.datasets = datasets
        self.traffic = traffic
        self._profiles: OrderedDict[str, ReferenceProfile] = OrderedDict()

    # -- baselines --------------------------------------------------------------------------
    def baseline(self, ref: str, data: Any, target: Any = None, progress: bool | None = None) -> Baseline:
        """Statistics + constraints of ``data`` (the model's training or validation features),
        stored with the version ``ref``. ``target`` (labels, or a column of ``data``) adds the
        model's baseline quality metrics and enables bias drift."""
        df, labels = self._features_and_labels(data, target, "baseline data")
        if len(df) < 2:
            raise InsufficientData(f"A baseline needs at least 2 rows; got {len(df)}.")
        mv = self.versions.get(ref)
        model = self.versions.load(mv.ref)
        statistics, constraints, profile = make_baseline(df, labels, model, progress=progress)
        extra: dict[str, Any] = {"n_rows": len(df), "metrics": dict(mv.metrics or {})}
        if labels is not None:
            extra["metrics"].update(model_metrics(model, df, labels, mv.signature))
        return self.store_baseline(mv.ref, statistics, constraints, profile, df, labels, extra)

    def import_baseline(self, ref: str, statistics: Any, constraints: Any) -> Baseline:
        """A baseline made elsewhere (a SageMaker Model Monitor baselining job's
        ``statistics.json`` and ``constraints.json``, paths or parsed), checked field by field and
        stored with the version ``ref``; checks then read its drift reference from the KLL
        sketches (:mod:`kll`) and its constraints in either Model Monitor form."""
        from .baseline_files import check_constraints, check_statistics, read_document

        statistics = check_statistics(read_document(statistics, "statistics"))
        constraints = check_constraints(read_document(constraints, "constraints"))
        mv = self.versions.get(ref)
        extra = {"n_rows": int(statistics["dataset"]["item_count"]), "imported": True,
                 "metrics": dict(mv.metrics or {})}
        return self.store_baseline(mv.ref, statistics, constraints,
                                   profile_from_statistics(statistics), extra=extra)

    def _features_and_labels(self, data: Any, target: Any, what: str):
        """(features, labels or None): ``data`` is a DataFrame or a dataset reference; ``target``
        is labels, or the name of one of its columns, which then leaves the features."""
        if is_reference(data):
            data = self.datasets.load(data)
        df = as_frame(data, what)
        if isinstance(target, str) and target in df.columns:
            return df.drop(columns=[target]), df[target].to_numpy()
        return df, None if target is None else as_labels(target, len(df), "target")

    def store_baseline(self, ref: str, statistics: dict, constraints: dict, profile: ReferenceProfile | None,
                       data: Any = None, labels: Any = None, extra: dict | None = None) -> Baseline:
        """Store a baseline made by :func:`make_baseline` (``register(data=...)`` uses this)."""
        from ..store import orm

        extra = dict(extra or {})
        arts = self.artifacts
        if profile is not None:
            extra["profile_sha256"] = arts.put_bytes(profile.to_bytes())
        extra["statistics_sha256"] = arts.put_bytes(json.dumps(statistics, indent=2).encode())
        extra["constraints_sha256"] = arts.put_bytes(json.dumps(constraints, indent=2).encode())
        if data is not None:
            import numpy as np

            sample = as_frame(data, "baseline data")
            n = len(sample)
            pos = np.arange(n) if n <= SAMPLE_ROWS else np.sort(np.random.default_rng(0).choice(n, SAMPLE_ROWS, replace=False))
            sample = sample.iloc[pos].reset_index(drop=True)
            if labels is not None:
                sample[LABEL] = np.asarray(labels)[pos]
            extra["sample_sha256"] = arts.put_bytes(to_parquet(sample))
        version_id = self.versions.version_id(ref)
        with self.store.write() as s:
            row = orm.Baseline(model_version_id=version_id, statistics=statistics, constraints=constraints, extra=extra)
            s.add(row)
            s.flush()
            baseline_id = row.id
            created = row.created_at
            self.audit.append(s, "baseline", ref, {"baseline_id": baseline_id, "features": len(statistics["features"]),
                                                         "rows": statistics["dataset"]["item_count"]})
        return Baseline(baseline_id, ref, _iso(created), statistics, constraints, extra)

    def get_baseline(self, ref: str) -> Baseline:
        """The latest baseline of the version ``ref``."""
        from sqlalchemy import select

        from ..store import orm

        name = self.versions.get(ref).ref
        version_id = self.versions.version_id(name)
        with self.store.read() as s:
            row = s.execute(select(orm.Baseline).where(orm.Baseline.model_version_id == version_id)
                            .order_by(orm.Baseline.id.desc()).limit(1)).scalar_one_or_none()
            if row is None:
                raise BaselineNotFound(f"{name} has no baseline.",
                                       hint=f"Make one: ws.baseline('{name}', data=X_train) or %mlops baseline {name} --data X_train.")
            return Baseline(row.id, name, _iso(row.created_at), row.statistics, row.constraints, dict(row.extra or {}))

    def _update_extra(self, baseline: Baseline, **changes) -> None:
        from ..store import orm

        with self.store.write() as s:
            row = s.get(orm.Baseline, baseline.id)
            row.extra = {**(row.extra or {}), **changes}
        baseline.extra.update(changes)

    def profile(self, baseline: Baseline) -> ReferenceProfile:
        sha = baseline.extra.get("profile_sha256")
        if not sha:
            prof = profile_from_statistics(baseline.statistics)
            if prof is None:
                raise BaselineNotFound(f"Baseline #{baseline.id} has no reference profile.")
            return prof
        if sha not in self._profiles:
            self._profiles[sha] = ReferenceProfile.from_bytes(self.artifacts.get_bytes(sha))
            while len(self._profiles) > 2:
                self._profiles.popitem(last=False)
        return self._profiles[sha]

    def baseline_sample(self, baseline: Baseline):
        import pandas as pd

        sha = baseline.extra.get("sample_sha256")
        if not sha:
            raise BaselineNotFound(f"Baseline #{baseline.id} kept no sample rows.", hint="Re-run ws.baseline(ref, data).")
        return pd.read_parquet(io.BytesIO(self.artifacts.get_bytes(sha)))

    # -- targets and windows -------------------------------------------------------------------
    def resolve(self, target: str, data: Any = None, since: Any = None,
                variant: str | None = None) -> tuple[str, str | None, Any]:
        """(model ref, endpoint or None, window DataFrame)."""
        target = as_reference(target)
        if data is not None:
            if is_reference(data):
                data = self.datasets.load(data)
            try:
                return self.versions.get(target).ref, None, as_frame(data, "data")
            except ModelNotFound:
                if not self._is_endpoint(target):
                    raise
            ref, _ = self._endpoint_ref(target, variant)
            return ref, target, as_frame(data, "data")
        if self._is_endpoint(target):
            ref, variant = self._endpoint_ref(target, variant)
            window = self.traffic.captured(target, since=since)
            if "variant" in window.columns and variant is not None and len(window):
                window = window[window["variant"] == variant].reset_index(drop=True)
            if len(window) < 2:
                raise InsufficientData(
                    f"Endpoint {target!r} captured {len(window)} request row(s)"
                    + (f" since {since}" if since else "") + " for its production variant; a check needs at least 2.",
                    hint="Deploy with capture=100 (percent), send traffic, or widen since=…")
            return ref, target, window
        self.versions.get(target)  # raises ModelNotFound with close matches
        raise InvalidInput(f"{target!r} is a model, and a model has no captured traffic: pass data=…",
                           hint=f"ws.check('{target}', data=X_new), or check the endpoint serving it.")

    def _is_endpoint(self, name: str) -> bool:
        return self.traffic.exists(name)

    def _endpoint_ref(self, name: str, variant: str | None = None) -> tuple[str, str | None]:
        """(model ref, variant name): the named variant, else the production variant with the
        largest weight."""
        info = self.traffic.describe(name)
        if variant is not None:
            for v in info.variants:
                if v.get("name") == variant:
                    return self.versions.get(v["ref"]).ref, variant
            raise InvalidInput(f"Endpoint {name!r} has no variant {variant!r}.",
                               hint=f"Its variants: {', '.join(v.get('name', '?') for v in info.variants)}.")
        variants = [v for v in info.variants if v.get("role", "production") != "shadow"] or list(info.variants)
        if not variants:
            raise MonitorError(f"Endpoint {name!r} has no variants.")
        main = max(variants, key=lambda v: float(v.get("weight") or 0))
        return self.versions.get(main["ref"]).ref, main.get("name")

    # -- the checks ---------------------------------------------------------------------------
    def check(self, target: str, data: Any = None, since: Any = None, variant: str | None = None) -> MonitoringReport:
        """Data quality violations and drift of a window against the version's baseline."""
        from .dataquality import check_constraints
        from .drift import compute_drift

        target = as_reference(target)  # an endpoint name, a model reference, or a model version
        ref, endpoint, window = self.resolve(target, data, since, variant)
        baseline = self.get_baseline(ref)
        profile = self.profile(baseline)
        features = [c for c in window.columns if not (endpoint and c in CAPTURE_META)]
        window = window[features]
        if len(window) < 2:
            raise InsufficientData(f"The window has {len(window)} row(s); a check needs at least 2.")
        violations = check_constraints(window, baseline.constraints, baseline.statistics, profile)
        cfg = baseline.constraints.get("monitoring_config", {})
        columns = [c for c in profile.columns if c in window.columns]
        if not columns:
            raise InvalidInput(f"None of the baseline's features are in the data for {target!r}.",
                               hint=f"Baseline features: {', '.join(list(profile.columns)[:10])}.")
        method, threshold = _drift_settings(baseline.constraints, columns)
        drift = compute_drift(profile, window, method=method, threshold=threshold, columns=columns,
                              drift_share=float(cfg.get("drift_share") or 0.5))
        return MonitoringReport(target=target, ref=ref, endpoint=endpoint, n_rows=len(window),
                                since=None if since is None else str(since), violations=violations, drift=drift,
                                baseline_id=baseline.id, created_at=_iso(dt.datetime.now(dt.timezone.utc)))

    def drift(self, reference: Any, current: Any, method: str | dict = "auto", threshold: Any = None,
              columns: list | None = None, drift_share: float = 0.5, client: Any = None,
              progress: bool | None = None):
        """Drift of ``current`` against ``reference`` (DataFrames, dataset refs, or a model ref
        whose baseline profile is the reference)."""
        from .drift import compute_drift

        ref = self._reference(reference)
        cur = self.datasets.load(current) if is_reference(current) else current
        return compute_drift(ref, cur, method=method, threshold=threshold, columns=columns,
                             drift_share=drift_share, client=client, progress=progress)

    def _reference(self, reference: Any):
        if not is_reference(reference):
            return reference
        reference = as_reference(reference)  # a model version's baseline, or a dataset version
        try:
            return self.profile(self.get_baseline(reference))
        except ModelNotFound:
            return self.datasets.load(reference)

    def quality(self, target: str, ground_truth: Any = None, data: Any = None, since: Any = None,
                thresholds: dict | None = None, tolerance: float = 0.1):
        """Model quality on the window: with ``ground_truth`` joined by inference id (a DataFrame
        with an ``inference_id`` column, or a dict id -> label) or by position (a Series/array);
        without it, on an endpoint, the labels uploaded with ``ground_truth(endpoint, labels)``;
        with none of these, an estimate from predicted probabilities (binary classifiers)."""
        from .modelquality import estimate_quality, evaluate_quality

        ref, endpoint, window = self.resolve(target, data, since)
        window_rows = len(window)
        if ground_truth is None and endpoint is not None and data is None:
            window, ground_truth = self._uploaded_labels(endpoint, since, window)
        mv = self.versions.get(ref)
        model = self.versions.load(ref)
        base = self._baseline_metrics(ref, mv)
        features = features_of(window, model, endpoint)
        kind = problem_type(model, mv.signature)
        if ground_truth is None:
            if kind != "classification" or not hasattr(model, "predict_proba") or len(getattr(model, "classes_", [])) != 2:
                raise InvalidInput("Without ground truth, performance can only be estimated for binary classifiers "
                                   "with predict_proba.", hint="Pass ground_truth=labels.")
            proba = model.predict_proba(features)
            ref_proba = ref_labels = None
            try:
                sample = self.baseline_sample(self.get_baseline(ref))
                if LABEL in sample.columns:
                    ref_labels = (sample[LABEL].to_numpy() == model.classes_[1]).astype(int)
                    ref_proba = model.predict_proba(features_of(sample.drop(columns=[LABEL]), model, None))
            except (BaselineNotFound, MonitorError):
                pass
            return estimate_quality(proba, baseline=base, thresholds=thresholds, tolerance=tolerance,
                                    reference_proba=ref_proba, reference_labels=ref_labels, target=target)
        labels, keep = join_labels(window, ground_truth)
        feats = features.iloc[keep] if keep is not None else features
        if endpoint and "prediction" in window.columns and window["prediction"].notna().all() \
                and not isinstance(window["prediction"].iloc[0], (list, tuple)):
            preds = window["prediction"].to_numpy()
            preds = preds[keep] if keep is not None else preds
        else:
            preds = model.predict(feats)
        score = model.predict_proba(feats) if kind == "classification" and hasattr(model, "predict_proba") else None
        classes = list(getattr(model, "classes_", [])) or None
        if classes is not None:
            preds = as_class_labels(preds, classes)
            labels = as_class_labels(labels, classes)
        return evaluate_quality(labels, preds, kind=kind, y_score=score, classes=classes, baseline=base,
                                thresholds=thresholds, tolerance=tolerance, target=target, n_window=window_rows)

    def _uploaded_labels(self, endpoint: str, since: Any, window):
        """(the window's rows that uploaded ground truth labels, their labels in order), or the
        window and None when fewer than two rows are labelled."""
        labelled = self.traffic.captured(endpoint, since=since, with_ground_truth=True)
        if len(labelled):
            labelled = labelled[labelled["variant"].isin(set(window["variant"]))]
        if len(labelled) < 2:
            return window, None
        return labelled.drop(columns=["label"]).reset_index(drop=True), labelled["label"].to_numpy()

    def _baseline_metrics(self, ref: str, mv) -> dict:
        try:
            return dict(self.get_baseline(ref).extra.get("metrics") or {})
        except BaselineNotFound:
            return dict(mv.metrics or {})

    def bias(self, ref: str, data: Any, target: Any, facet: str, facet_value: Any = None, label_value: Any = None,
             tolerance: float = 0.1):
        """Clarify's pre- and post-training bias metrics for ``facet``; bias drift against the
        same metrics on the baseline's sample (computed once and kept with the baseline)."""
        from .bias import compute_bias

        df, labels = self._features_and_labels(data, target, "data")
        if labels is None:
            labels = as_labels(target, len(df), "target")  # raises: bias metrics need labels
        mv = self.versions.get(ref)
        model = self.versions.load(mv.ref)
        preds = model.predict(features_of(df, model, None))
        baseline_values = None
        try:
            baseline = self.get_baseline(mv.ref)
            stored = (baseline.extra.get("bias") or {})
            if facet in stored and stored[facet].get("label_value") == _plain(label_value):
                baseline_values = {facet: stored[facet]["groups"]}
            else:
                sample = self.baseline_sample(baseline)
                if LABEL in sample.columns and facet in sample.columns:
                    b_df = sample.drop(columns=[LABEL])
                    b_rep = compute_bias(b_df, sample[LABEL].to_numpy(), facet, model.predict(features_of(b_df, model, None)),
                                         facet_value=facet_value, label_value=label_value)
                    baseline_values = {facet: b_rep.groups}
                    self._update_extra(baseline, bias={**stored, facet: {"label_value": _plain(label_value), "groups": b_rep.groups}})
        except BaselineNotFound:
            pass
        return compute_bias(df, labels, facet, preds, facet_value=facet_value, label_value=label_value,
                            baseline=baseline_values, tolerance=tolerance, target=mv.ref)

    def attribution_drift(self, ref: str, data: Any, max_rows: int = 500):
        """Mean |SHAP| per feature on the baseline's sample and on ``data``; NDCG of the ranking."""
        from .attribution import attribution_drift

        if is_reference(data):
            data = self.datasets.load(data)
        mv = self.versions.get(ref)
        model = self.versions.load(mv.ref)
        baseline = self.get_baseline(mv.ref)
        sample = self.baseline_sample(baseline).drop(columns=[LABEL], errors="ignore")
        cached = baseline.extra.get("attributions")
        report = attribution_drift(model, sample, as_frame(data, "data"), baseline_attributions=cached,
                                   max_rows=max_rows, target=mv.ref)
        if cached is None:
            self._update_extra(baseline, attributions=report.baseline, attribution_explainer=report.explainer)
        return report

    def concept_drift(self, target: str, ground_truth: Any = None, data: Any = None, since: Any = None,
                      stream: Any = None, detectors: tuple | None = None):
        """Concept drift detectors over the per-request error stream (predictions joined to
        ``ground_truth``) in time order, or over a given ``stream`` of errors or scores."""
        import numpy as np

        from .concept import detect_concept_drift

        target = as_reference(target)  # an endpoint name, a model reference, or a model version
        if stream is not None:
            return detect_concept_drift(stream, detectors=detectors, target=target)
        if ground_truth is None:
            raise InvalidInput("Concept drift needs ground truth (or a stream of errors/scores).")
        ref, endpoint, window = self.resolve(target, data, since)
        model = self.versions.load(ref)
        labels, keep = join_labels(window, ground_truth)
        rows = window.iloc[keep] if keep is not None else window
        preds = model.predict(features_of(rows, model, endpoint))
        kind = problem_type(model, self.versions.get(ref).signature)
        if kind == "classification":
            errors = (np.asarray(preds).astype(str) != np.asarray(labels).astype(str)).astype(float)
        else:
            errors = np.abs(np.asarray(preds, dtype=float) - np.asarray(labels, dtype=float))
        times = rows["time"].tolist() if "time" in rows.columns else None
        return detect_concept_drift(errors, times=times, detectors=detectors, target=target,
                                    kind="error" if kind == "classification" else "absolute error")


# -- helpers ---------------------------------------------------------------------------------------

def _drift_settings(constraints: dict, columns: list[str]) -> tuple[dict, dict]:
    """Per-feature drift test and threshold from constraints.json: monitoring_config's
    ``drift_method`` / ``drift_threshold`` (a value or a {feature: value} map), overridden by a
    feature's ``monitoringConfigOverrides``."""
    constraints = current_form(constraints)
    cfg = constraints["monitoring_config"]
    overrides = {f["name"]: f["monitoringConfigOverrides"] for f in constraints["features"]}

    def pick(key: str, default):
        base = cfg.get(key)
        out = {}
        for c in columns:
            value = base.get(c, default) if isinstance(base, dict) else (default if base is None else base)
            out[c] = overrides.get(c, {}).get(key, value)
        return out

    return pick("drift_method", "auto"), {c: t for c, t in pick("drift_threshold", None).items() if t is not None}


def _iso(t) -> str:
    if t is None:
        return ""
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.isoformat(timespec="seconds")


def _plain(v):
    return v.item() if hasattr(v, "item") else v
