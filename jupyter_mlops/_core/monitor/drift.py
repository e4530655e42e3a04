"""Data drift per feature and for the dataset: the engine behind ``ws.drift`` and ``ws.check``.

``method="auto"`` picks per column, by the rule Evidently documents for its default preset:

* reference with at most 1,000 rows: numeric columns with more than 5 distinct reference values
  get Kolmogorov-Smirnov (p < 0.05); everything else (categorical, boolean, numeric with <= 5
  distinct values) the two-sample chi-squared test (p < 0.05);
* more than 1,000 rows: normalised Wasserstein (>= 0.1) for those numeric columns and
  Jensen-Shannon distance (>= 0.1) for the rest.

A single ``method`` applies to every column it can take (``"ks"`` leaves categorical columns to the
automatic choice); a ``{column: method}`` dict is taken as given. Low-cardinality numeric columns
are compared as categories (their values), where Evidently bins them, and the report gives them
the kind ``categorical`` (``columns.compared_kind`` decides both); read by a numeric-only test
chosen by name they are ``numeric``. The dataset drifts when the share of drifted features is at least ``drift_share`` (0.5).

Each column is one task: the current column is sorted (numeric) or counted (categorical) once,
the reference side comes from a :class:`ReferenceProfile` (stored with the baseline, or built
here). Tasks run on a small thread pool (numpy's sort and searchsorted release the GIL), so at
most ``workers`` columns' temporaries are alive at once: memory is bounded by a few copies of one
column, whatever the number of columns. With a ``dask.distributed`` client the same per-column
function runs on the cluster and gives the same numbers.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ..errors import InsufficientData, InvalidInput
from .columns import CATEGORICAL, NUMERIC, as_frame, numeric_values
from .profile import ColumnProfile, ReferenceProfile
from .reports.drift import ColumnDrift, DriftReport
from .stattests import get_stattest
from .stattests.base import category_counts, merge_counts, sorted_finite
from .stattests.jensenshannon import equal_width_counts

SMALL_REFERENCE_ROWS = 1000
MIN_ROWS = 2
TOP_CATEGORIES = 20
THREADS_FROM_ROWS = 200_000


def auto_method(col: ColumnProfile) -> str:
    small = col.n_rows <= SMALL_REFERENCE_ROWS
    if col.compared_as == NUMERIC:
        return "ks" if small else "wasserstein"
    return "chi2" if small else "jensenshannon"


def _per_column(option: Any, column: str, default: Any) -> Any:
    if isinstance(option, dict):
        return option.get(column, default)
    return default if option is None else option


def compute_drift(
    reference: Any,
    current: Any,
    method: str | dict = "auto",
    threshold: float | dict | None = None,
    columns: list[str] | None = None,
    drift_share: float = 0.5,
    workers: int | None = None,
    client: Any = None,
    progress: bool | None = False,
) -> DriftReport:
    """Drift of ``current`` against ``reference`` (a DataFrame or a :class:`ReferenceProfile`);
    ``progress``: a bar per feature (``progress.py``; not with a Dask ``client``)."""
    started = time.perf_counter()
    cur = as_frame(current, "current data")
    profile = _reference_profile(reference, cur, columns)
    names = _common_columns(profile, cur, columns)
    if not 0 < float(drift_share) <= 1:
        raise InvalidInput(f"drift_share must be in (0, 1], got {drift_share!r}.")
    tasks = [(profile.columns[name], cur[name], _method_for(profile.columns[name], method, name),
              _per_column(threshold, name, None)) for name in names]
    results = _run_tests(tasks, len(cur), workers, client, progress)
    n_drifted = sum(1 for r in results if r.drifted)
    tested = sum(1 for r in results if r.drifted is not None)
    share = n_drifted / tested if tested else 0.0
    return DriftReport(
        columns=list(results),
        n_reference=profile.n_rows,
        n_current=len(cur),
        n_drifted=n_drifted,
        share_drifted=share,
        drift_share=float(drift_share),
        dataset_drift=bool(tested and share >= drift_share),
        method=method if isinstance(method, str) else "per-column",
        seconds=time.perf_counter() - started,
    )


def _reference_profile(reference: Any, cur, columns: list[str] | None) -> ReferenceProfile:
    if isinstance(reference, ReferenceProfile):
        profile = reference
    else:
        ref = as_frame(reference, "reference data")
        _check_rows(len(ref), "reference")
        names = columns or [c for c in ref.columns if c in cur.columns]
        profile = ReferenceProfile.from_frame(ref, [str(c) for c in names])
    _check_rows(profile.n_rows, "reference")
    _check_rows(len(cur), "current")
    return profile


def _common_columns(profile: ReferenceProfile, cur, columns: list[str] | None) -> list[str]:
    names = [str(c) for c in (columns or profile.columns)]
    missing_ref = [c for c in names if c not in profile.columns]
    if missing_ref:
        raise InvalidInput(f"Columns not in the reference: {', '.join(missing_ref)}.")
    names = [c for c in names if c in cur.columns]
    if not names:
        raise InvalidInput(
            "The reference and current data have no column in common.",
            hint=f"Reference columns: {', '.join(list(profile.columns)[:10])}.",
        )
    return names


def _method_for(col, method: str | dict, name: str) -> str:
    m = _per_column(method, name, "auto")
    if m not in (None, "auto") and not isinstance(method, dict):
        # one method for all: the columns it cannot take (categorical for ks/wasserstein,
        # numeric for chi2 is fine) keep the automatic choice
        if col.kind not in get_stattest(m).kinds and col.kind == CATEGORICAL:
            m = "auto"
    return auto_method(col) if m in (None, "auto") else get_stattest(m).name


def _run_tests(tasks: list, n_rows: int, workers: int | None, client: Any, progress: bool | None) -> list:
    from ..progress import track

    if client is not None:
        return client.gather(client.map(lambda args: column_drift(*args), tasks, pure=False))
    # threads pay off once a column's sort and search take milliseconds (numpy releases the
    # GIL there); below that the hand-offs cost more than they save
    n = workers or (min(2, os.cpu_count() or 1) if n_rows >= THREADS_FROM_ROWS else 1)
    if n <= 1 or len(tasks) == 1:
        return [column_drift(*a) for a in track(tasks, progress, desc="drift", unit="features")]
    with ThreadPoolExecutor(n) as pool:
        return list(track(pool.map(lambda a: column_drift(*a), tasks), progress, total=len(tasks), desc="drift",
                          unit="features"))


def _check_rows(n: int, what: str) -> None:
    if n < MIN_ROWS:
        raise InsufficientData(
            f"The {what} data has {n} row{'s' if n != 1 else ''}; a drift check needs at least {MIN_ROWS}.",
            hint="Widen the window (e.g. since='1d') or wait for more captured traffic."
            if what == "current"
            else "Use a larger reference sample.",
        )


def column_drift(col: ColumnProfile, cur_series, method: str, threshold: float | None) -> ColumnDrift:
    """One column's drift: the unit of work (picklable arguments, so dask can run it too)."""
    test = get_stattest(method)
    thr = test.default_threshold if threshold is None else float(threshold)
    n_cur = len(cur_series)
    # a low-cardinality numeric column is compared as categories by the tests that take them; a
    # numeric-only test (ks, wasserstein chosen by name) reads it as numbers: the report's kind
    # says which, so kind and test always agree
    use_numeric = col.kind == NUMERIC and test.numeric is not None and (
        test.categorical is None or col.compared_as == NUMERIC
    )
    out = ColumnDrift(column=col.name, kind=NUMERIC if use_numeric else CATEGORICAL, method=test.name, threshold=thr,
                      score_name=test.score, n_reference=col.n_present, n_current=0, missing_current=0)
    if col.kind == CATEGORICAL and "categorical" not in test.kinds:
        raise InvalidInput(
            f"Column {col.name!r} is categorical; {test.title} applies to numeric columns only.",
            hint="Use method='chi2', 'jensenshannon' or 'psi' for it (or 'auto').",
        )
    if use_numeric:
        cur_sorted = sorted_finite(numeric_values(cur_series))
        out.n_current = int(cur_sorted.size)
        out.missing_current = n_cur - cur_sorted.size
        if not _enough(out, col.sorted.size, cur_sorted.size):
            return out
        result = test.numeric(col.sorted, cur_sorted, ref_std=col.stats().std if test.name == "wasserstein" else None)
        out.reference_mean = float(col.sorted.mean())
        out.current_mean = float(cur_sorted.mean())
        ref_counts, cur_counts, edges = equal_width_counts(col.sorted, cur_sorted)
        out.chart = {"type": "hist", "edges": edges.tolist(), "reference": ref_counts.tolist(), "current": cur_counts.tolist()}
    else:
        if col.kind == NUMERIC:
            r_values, r_counts = _sorted_value_counts(col.sorted)
            c_values, c_counts = _sorted_value_counts(sorted_finite(numeric_values(cur_series)))
        else:
            r_values, r_counts = col.values, col.counts
            c_values, c_counts = category_counts(cur_series)
        ref_counts, cur_counts, categories = merge_counts(r_values, r_counts, c_values, c_counts)
        out.n_current = int(cur_counts.sum())
        out.missing_current = n_cur - out.n_current
        if not _enough(out, int(ref_counts.sum()), out.n_current):
            return out
        result = test.categorical(ref_counts, cur_counts)
        unseen = [categories[i] for i in np.flatnonzero(ref_counts == 0)]
        out.new_categories = [_label(v) for v in unseen[:TOP_CATEGORIES]]
        top = np.argsort(-(ref_counts / max(ref_counts.sum(), 1) + cur_counts / max(cur_counts.sum(), 1)), kind="stable")
        top = top[:TOP_CATEGORIES]
        out.chart = {
            "type": "bar",
            "categories": [_label(categories[i]) for i in top],
            "reference": ref_counts[top].tolist(),
            "current": cur_counts[top].tolist(),
        }
    out.statistic = float(result.statistic)
    out.p_value = None if result.p_value is None else float(result.p_value)
    out.drifted = test.drifted(result, thr)
    return out


def _enough(out: ColumnDrift, n_ref: int, n_cur: int) -> bool:
    if n_ref and n_cur:
        return True
    side = "current" if not n_cur else "reference"
    out.note = f"no non-missing values in the {side} data: not tested (see the completeness check)"
    out.drifted = None
    return False


def _sorted_value_counts(s: np.ndarray) -> tuple[list, np.ndarray]:
    if not s.size:
        return [], np.zeros(0, dtype=np.int64)
    starts = np.concatenate([[0], np.flatnonzero(s[1:] != s[:-1]) + 1])
    counts = np.diff(np.append(starts, s.size))
    return [v.item() for v in s[starts]], counts.astype(np.int64)


def _label(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # integer codes read as floats: show 5, not 5.0
    return str(v)
