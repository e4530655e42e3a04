"""Replay: a candidate version run offline on an endpoint's captured requests, compared with what
production answered (the seed's "production testing: validate before full deployment").

The window is the endpoint's captured requests (``TrafficSource.captured``, SageMaker's data
capture read back) less those of shadow variants, whose answers no client received. The candidate
predicts each captured request as it came (its rows together), so its p50 and p99 are per request
like an endpoint's, timed around ``model.predict`` alone (no HTTP, no decoding); past
``MAX_TIMED_REQUESTS`` requests the rest are predicted in bulk, untimed. A row agrees when the
candidate's answer equals production's (numbers within a relative 1e-6). ``replay_changes`` says
where the changed rows sit, feature by feature.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

from .. import html
from ..collaborators import TrafficSource, VersionSource
from ..errors import InsufficientData, InvalidInput, ModelError
from ..results import Result

__all__ = ["Replay", "Replayer", "replay"]

#: requests timed one by one; the rest of a larger window is predicted in bulk
MAX_TIMED_REQUESTS = 2000
BULK_ROWS = 50_000
EXAMPLES = 5
CAPTURE_COLUMNS = ("prediction", "inference_id", "event_id", "time", "variant")


@dataclass(frozen=True, repr=False)
class Replay(Result):
    """A candidate replayed on captured traffic: agreement with production, where it changed, its
    latency."""

    ref: str
    endpoint: str
    rows: int
    #: share of rows where the candidate answers as production did
    agreement: float
    changed_rows: int
    #: feature -> where predictions changed (``replay_changes``), most concentrated first
    changes_by_feature: dict
    candidate_p50_ms: float
    candidate_p99_ms: float
    since: str | None = None
    #: captured requests replayed, and how many of them were timed one by one
    requests: int = 0
    timed_requests: int = 0
    #: variant -> the version that answered in the window
    production: dict = field(default_factory=dict)
    window_start: str | None = None
    window_end: str | None = None
    #: a few changed rows: their inputs, production's answer and the candidate's
    examples: list = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.ref} answers as production did on {self.agreement:.1%} of {self.rows:,} captured "
                f"rows ({self.changed_rows:,} changed); candidate p50 {self.candidate_p50_ms:.3g} ms, "
                f"p99 {self.candidate_p99_ms:.3g} ms per request.")

    def to_frame(self):
        """One row per feature: how concentrated the changes are and where."""
        import pandas as pd

        return pd.DataFrame([{"feature": name, "kind": c["kind"], "concentration": c["concentration"],
                              "where": c["where"]} for name, c in self.changes_by_feature.items()],
                            columns=["feature", "kind", "concentration", "where"])

    def _repr_html_(self) -> str:
        answered = ", ".join(f"{variant} = {ref}" for variant, ref in self.production.items())
        meta = (f"endpoint {self.endpoint}" + (f", since {self.since}" if self.since else "")
                + f"; window {self.window_start} – {self.window_end}; production: {answered}; "
                f"{self.requests:,} requests, {self.timed_requests:,} timed")
        parts = [html.report_header(f"replay of {self.ref}", "ok" if not self.changed_rows else "info",
                                    self.summary(), meta)]
        frame = self.to_frame()
        parts.append("<h4>Where predictions changed</h4>")
        parts.append(html.table(list(frame.columns), frame.itertuples(index=False), numeric=[2]))
        if self.examples:
            columns = list(self.examples[0])
            parts.append("<h4>Changed rows (examples)</h4>")
            parts.append(html.table(columns, ([e[c] for c in columns] for e in self.examples)))
        return html.styled("".join(parts), "report")

    def __repr__(self) -> str:
        lines = [f"<Replay {self.ref} on {self.endpoint}: {self.summary()}>"]
        lines += [f"  {c['where']}" for c in list(self.changes_by_feature.values())[:3] if c["where"]]
        return "\n".join(lines)


class Replayer:
    """The replay part: built by the composition root with the versions and the traffic."""

    def __init__(self, versions: VersionSource, traffic: TrafficSource):
        self.versions = versions
        self.traffic = traffic

    def replay(self, ref: Any, endpoint: str, since: Any = None) -> Replay:
        """Run ``ref`` on ``endpoint``'s captured requests (``since`` a duration such as ``"1d"`` or
        a time) and compare with what production answered."""
        return replay(ref, endpoint, since, self.versions, self.traffic)


def replay(candidate_ref: Any, endpoint: str, since: Any, versions: VersionSource,
           traffic: TrafficSource) -> Replay:
    import numpy as np

    from .replay_changes import changes_by_feature

    candidate = versions.get(candidate_ref)
    window, production = _answered(endpoint, since, traffic)
    model = versions.load(candidate.ref)
    features = _features(candidate, window, endpoint)
    predicted, seconds = _predict(candidate.ref, model, features, window["event_id"], candidate.signature)
    same = _agreeing(window["prediction"].tolist(), predicted)
    changed = ~same
    times = np.asarray(seconds) * 1000.0
    return Replay(
        ref=candidate.ref, endpoint=endpoint, rows=len(window), agreement=float(same.mean()),
        changed_rows=int(changed.sum()), changes_by_feature=changes_by_feature(features, changed),
        candidate_p50_ms=float(np.percentile(times, 50)), candidate_p99_ms=float(np.percentile(times, 99)),
        since=None if since is None else str(since), requests=int(window["event_id"].nunique()),
        timed_requests=len(seconds), production=production,
        window_start=window["time"].min().isoformat(), window_end=window["time"].max().isoformat(),
        examples=_examples(features, window["prediction"], predicted, changed))


def _answered(endpoint: str, since: Any, traffic: TrafficSource):
    """(the captured rows whose answers clients received, variant -> ref of those variants)."""
    info = traffic.describe(endpoint)  # EndpointNotFound, naming the endpoints there are
    shadows = {v["name"] for v in info.variants if v.get("role") == "shadow"}
    window = traffic.captured(endpoint, since=since)
    if len(window) and "prediction" in window.columns:
        window = window[~window["variant"].isin(shadows) & window["prediction"].notna()]
    else:
        window = window.iloc[0:0]
    if not len(window):
        raise InsufficientData(
            f"Endpoint {endpoint!r} captured no answered requests" + (f" since {since}" if since else "")
            + ": there is nothing to replay.",
            hint="Deploy with capture=100 (percent) and send traffic, or widen since=.")
    window = window.reset_index(drop=True)
    refs = {v["name"]: v.get("ref") for v in info.variants}
    production = {str(name): refs.get(name, "(no longer deployed)") for name in window["variant"].unique()}
    return window, production


def _features(candidate, window, endpoint: str):
    """The candidate's input columns, in its signature's order, from the captured rows."""
    inputs = [str(i["name"]) for i in ((candidate.signature or {}).get("inputs") or [])]
    if not inputs:
        return window.drop(columns=[c for c in CAPTURE_COLUMNS if c in window.columns])
    missing = [c for c in inputs if c not in window.columns]
    if missing:
        raise InvalidInput(f"{candidate.ref} takes column(s) {', '.join(missing)} that the requests "
                           f"captured at {endpoint!r} do not have: it cannot be replayed there.",
                           hint=f"Its inputs: {', '.join(inputs)}.")
    gaps = [c for c in inputs if window[c].isna().any()]
    if gaps:
        raise InvalidInput(f"Some requests captured at {endpoint!r} lack {', '.join(gaps)} (variants with "
                           f"other inputs answered them): {candidate.ref} cannot be replayed on them.",
                           hint="Replay a window that only such variants answered: since=…")
    return window[inputs]


def _predict(ref: str, model, features, requests, signature) -> tuple[list, list[float]]:
    """(the candidate's answer per row, seconds per timed request). Each request's rows are
    predicted together, the first ``MAX_TIMED_REQUESTS`` requests of a seeded sample timed."""
    import numpy as np
    import pandas as pd

    as_array = (signature or {}).get("input_type") == "ndarray"
    codes = pd.factorize(requests.fillna("").astype(str).to_numpy())[0]
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    groups = np.split(order, bounds)
    timed = set(np.random.default_rng(0).permutation(len(groups))[:MAX_TIMED_REQUESTS].tolist())
    answers: list[Any] = [None] * len(features)
    seconds: list[float] = []
    bulk = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # feature-name warnings: the columns are the signature's
        for k, rows in enumerate(groups):
            if k not in timed:
                bulk.extend(rows.tolist())
                continue
            x = _inputs(features, rows, as_array)
            t0 = time.perf_counter()
            out = _called(ref, model, x)
            seconds.append(time.perf_counter() - t0)
            for i, value in zip(rows, out):
                answers[i] = value
        for start in range(0, len(bulk), BULK_ROWS):
            rows = np.asarray(bulk[start:start + BULK_ROWS])
            for i, value in zip(rows, _called(ref, model, _inputs(features, rows, as_array))):
                answers[i] = value
    return answers, seconds


def _inputs(features, rows, as_array: bool):
    x = features.iloc[rows]
    return x.to_numpy() if as_array else x


def _called(ref: str, model, x):
    import numpy as np

    try:
        out = np.asarray(model.predict(x))
    except Exception as exc:
        raise ModelError(f"{ref} raised on requests captured at the endpoint: {type(exc).__name__}: {exc}",
                         hint="Replaying stopped there; production answered these requests.") from exc
    if len(out) != len(x):
        raise ModelError(f"{ref} answered {len(out)} rows for {len(x)}.")
    return out.tolist()


def _agreeing(production: list, candidate: list):
    """One boolean per row: the two answers are the same (numbers within a relative 1e-6)."""
    import numpy as np

    try:
        a, b = np.asarray(production, dtype=float), np.asarray(candidate, dtype=float)
        if a.shape == b.shape:
            return np.isclose(a, b, rtol=1e-6, atol=1e-9).reshape(len(a), -1).all(axis=1)
    except (TypeError, ValueError):
        pass  # labels, or rows of unequal shape: compared one by one
    return np.array([_comparable(p) == _comparable(c) for p, c in zip(production, candidate)], dtype=bool)


def _comparable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_comparable(v) for v in value)
    if isinstance(value, bool):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def _examples(features, production, candidate: list, changed) -> list[dict]:
    import numpy as np

    from ..results import jsonable

    out = []
    for i in np.flatnonzero(changed)[:EXAMPLES]:
        row = {str(k): v for k, v in features.iloc[i].items()}
        out.append(jsonable({**row, "production": production.iloc[i], "candidate": candidate[i]}))
    return out
