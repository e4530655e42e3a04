"""Concept drift on streams: detectors over a per-request error (0/1) or score stream.

* :class:`DDM` (Gama et al., 2004) for error streams: warns when p + s >= p_min + 2 s_min, signals
  drift at p_min + 3 s_min, p the running error rate and s = sqrt(p (1 - p) / n).
* :class:`PageHinkley` for an increase in the mean of any stream: the cumulative deviation
  m_t = sum(x_i - mean_i - delta) against its running minimum; drift when m_t - min m > lambda.
* ADWIN from river (``river.drift.ADWIN``) when river is installed.

Each detector restarts after a drift. A detection records where the change *began*: the least-squares mean-shift
point between the previous detection and this one (the detectors' own running estimates, DDM's
warning start or Page-Hinkley's argmin, wander by thousands of points on noisy 0/1 streams). ``classify`` then fits, around that point, a
linear ramp between two levels for widths from 0 (a step) to 64 windows (default window 50) by least
squares: *gradual* when the best ramp is at least 8 windows wide, else *sudden*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InsufficientData, InvalidInput
from .reports.concept import ConceptDriftReport, Detection


@dataclass
class DDM:
    min_instances: int = 100
    warning_level: float = 2.0
    drift_level: float = 3.0

    def __post_init__(self):
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self.p = 1.0
        self.s = 0.0
        self.p_min = math.inf
        self.s_min = math.inf
        self.warning_since: int | None = None

    def update(self, error: float, index: int) -> int | None:
        """Feed one 0/1 error; returns the change start index when drift is detected."""
        self.n += 1
        self.p += (float(error) - self.p) / self.n
        self.s = math.sqrt(self.p * (1 - self.p) / self.n)
        if self.n < self.min_instances:
            return None
        # s == 0 (no error yet) would make any later error a "drift": wait for a usable minimum
        if self.s > 0 and self.p + self.s <= self.p_min + self.s_min:
            self.p_min, self.s_min = self.p, self.s
        level = self.p + self.s
        if self.s_min == math.inf:
            return None
        if level >= self.p_min + self.drift_level * self.s_min:
            start = self.warning_since if self.warning_since is not None else index
            self.reset()
            return start
        if level >= self.p_min + self.warning_level * self.s_min:
            if self.warning_since is None:
                self.warning_since = index
        else:
            self.warning_since = None
        return None


@dataclass
class PageHinkley:
    min_instances: int = 30
    delta: float = 0.005
    threshold: float = 50.0

    def __post_init__(self):
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self.mean = 0.0
        self.cum = 0.0
        self.cum_min = 0.0
        self.argmin: int | None = None

    def update(self, x: float, index: int) -> int | None:
        self.n += 1
        self.mean += (float(x) - self.mean) / self.n
        self.cum += float(x) - self.mean - self.delta
        if self.cum < self.cum_min or self.argmin is None:
            self.cum_min, self.argmin = min(self.cum, self.cum_min), index
        if self.n >= self.min_instances and self.cum - self.cum_min > self.threshold:
            start = (self.argmin + 1) if self.argmin is not None else index
            self.reset()
            return min(start, index)
        return None


class _Adwin:
    """river's ADWIN behind the same update(x, index) -> start | None interface."""

    def __init__(self, **kw):
        from river.drift import ADWIN

        self._make = lambda: ADWIN(**kw)
        self.d = self._make()

    def update(self, x: float, index: int) -> int | None:
        self.d.update(float(x))
        if self.d.drift_detected:
            start = index - int(self.d.width) + 1
            return max(start, 0)
        return None


def adwin_available() -> bool:
    try:
        import river.drift  # noqa: F401
    except ImportError:
        return False
    return True


def make_detector(name: str, **params):
    name = name.lower().replace("-", "_")
    if name == "ddm":
        return DDM(**params)
    if name in ("page_hinkley", "ph", "pagehinkley"):
        return PageHinkley(**params)
    if name == "adwin":
        if not adwin_available():
            raise InvalidInput("ADWIN needs the river package.", hint="pip install 'river>=0.21'")
        return _Adwin(**params)
    raise InvalidInput(f"Unknown concept drift detector {name!r}.", hint="Use 'ddm', 'page_hinkley' or 'adwin'.")


def change_point(x: np.ndarray, lo: int, hi: int) -> int:
    """The least-squares single mean-shift point of x[lo:hi] (the split that best explains the data
    as two constant levels); where a change began, better than a detector's own running estimate."""
    seg = x[lo:hi]
    n = seg.size
    if n < 4:
        return lo
    c = np.cumsum(seg)
    k = np.arange(1, n)
    left = c[:-1] / k
    right = (c[-1] - c[:-1]) / (n - k)
    gain = k * (n - k) / n * (left - right) ** 2
    return lo + int(np.argmax(gain)) + 1


RAMP_WIDTHS = (0, 0.5, 1, 2, 4, 8, 16, 32, 64)  # in windows
GRADUAL_WIDTH = 8  # windows: a step seen through noise fits ramps up to ~4 windows wide
REACH = 40  # windows each side of the change point


def transition_width(x: np.ndarray, c: int, reach: int = 2000, window: int = 50) -> int:
    """The width of the linear ramp between two levels that best fits x around the change point c
    (0 is a step). Fitted by least squares over x[c - reach : c + reach] for a few widths."""
    lo, hi = max(0, c - reach), min(x.size, c + reach)
    seg = x[lo:hi]
    i = np.arange(lo, hi, dtype=float)
    best_w, best_sse = 0, math.inf
    for w in (int(k * window) for k in RAMP_WIDTHS):
        if w and (c - w / 2 < lo or c + w / 2 > hi):
            continue
        r = np.clip((i - (c - w / 2)) / w, 0, 1) if w else (i >= c).astype(float)
        basis = np.column_stack([1 - r, r])
        coef, *_ = np.linalg.lstsq(basis, seg, rcond=None)
        sse = float(np.sum((seg - basis @ coef) ** 2))
        if sse < best_sse - 1e-9:
            best_w, best_sse = w, sse
    return best_w


def classify(x: np.ndarray, start: int, window: int = 50) -> str:
    """'gradual' when the best-fitting ramp is at least eight windows wide, else 'sudden'."""
    width = transition_width(x, start, reach=REACH * window, window=window)
    return "gradual" if width >= GRADUAL_WIDTH * window else "sudden"


def detect_concept_drift(
    stream: Any, times: Any = None, detectors: tuple[str, ...] | None = None, params: dict | None = None,
    window: int = 50, target: str = "", kind: str | None = None,
) -> ConceptDriftReport:
    """Run the detectors over ``stream`` (errors 0/1 or scores) and report each detection."""
    x = np.asarray(stream, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        raise InsufficientData(f"A concept drift check needs a stream of at least 2 values; got {x.size}.")
    binary = bool(np.all((x == 0) | (x == 1)))
    kind = kind or ("error" if binary else "score")
    if detectors is None:
        detectors = ("ddm", "page_hinkley") if binary else ("page_hinkley",)
        if adwin_available():
            detectors = detectors + ("adwin",)
    t = None if times is None else list(times)
    found: list[Detection] = []
    for name in detectors:
        if name.lower() == "ddm" and not binary:
            raise InvalidInput("DDM needs a 0/1 error stream.", hint="Use page_hinkley or adwin for scores.")
        det = make_detector(name, **(params or {}).get(name, {}))
        raw = []
        for i, v in enumerate(x):
            start = det.update(v, i)
            if start is not None:
                raw.append((start, i))
        for k, (_, at) in enumerate(raw):
            prev = raw[k - 1][1] if k else 0
            nxt = raw[k + 1][1] if k + 1 < len(raw) else x.size
            start = change_point(x, prev, at + 1)
            found.append(Detection(
                detector=name, index=at, start_index=start, kind=classify(x, start, window),
                time=None if t is None else _iso(t[at]), start_time=None if t is None else _iso(t[start]),
                mean_before=float(x[prev:start].mean()) if start > prev else None,
                mean_after=float(x[at:nxt].mean()) if nxt > at else None,
            ))
    curve_n = min(x.size, 2000)
    idx = np.linspace(0, x.size - 1, curve_n).astype(int)
    roll_w = max(1, min(window, x.size // 10 or 1))
    roll = np.convolve(x, np.ones(roll_w) / roll_w, mode="same")
    return ConceptDriftReport(target=target, stream_kind=kind, n=int(x.size), detectors=list(detectors),
                              detections=found, curve={"index": idx.tolist(), "value": roll[idx].tolist()})


def _iso(v: Any) -> str:
    return v.isoformat() if hasattr(v, "isoformat") else str(v)
