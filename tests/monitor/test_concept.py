"""Concept drift detectors on synthetic streams with known change points."""

import numpy as np
import pytest

from jupyter_mlops._core.errors import InsufficientData, InvalidInput
from jupyter_mlops._core.monitor.concept import DDM, PageHinkley, adwin_available, detect_concept_drift


def sudden(seed, at=3000, n=6000, before=0.1, after=0.4):
    rng = np.random.default_rng(seed)
    p = np.where(np.arange(n) < at, before, after)
    return (rng.uniform(size=n) < p).astype(float)


def gradual(seed, start=2000, end=4500, n=6000):
    rng = np.random.default_rng(seed)
    p = np.interp(np.arange(n), [start, end], [0.1, 0.4])
    return (rng.uniform(size=n) < p).astype(float)


def test_ddm_fires_after_a_sudden_rise_in_the_error_rate_and_not_before():
    x = sudden(2)
    ddm = DDM()
    fired = [i for i, v in enumerate(x) if ddm.update(v, i) is not None]
    assert fired and 3000 <= fired[0] <= 3300


def test_page_hinkley_fires_after_a_mean_shift():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(0, 0.2, 2000), rng.normal(1.0, 0.2, 1000)]
    ph = PageHinkley()
    fired = [i for i, v in enumerate(x) if ph.update(v, i) is not None]
    assert fired and 2000 <= fired[0] <= 2100


@pytest.mark.parametrize("seed", [2, 4])
def test_a_sudden_change_is_reported_as_sudden_with_the_time_it_began(seed):
    rep = detect_concept_drift(sudden(seed), times=[f"t{i}" for i in range(6000)], detectors=("ddm", "page_hinkley"))
    real = [d for d in rep.detections if d.index >= 3000]
    assert {d.detector for d in real} == {"ddm", "page_hinkley"}
    for d in real:
        assert abs(d.start_index - 3000) <= 50 and d.kind == "sudden"
        assert d.start_time == f"t{d.start_index}" and d.mean_before < 0.15 < 0.35 < d.mean_after


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_slow_ramp_is_reported_as_gradual(seed):
    rep = detect_concept_drift(gradual(seed), detectors=("ddm", "page_hinkley"))
    in_ramp = [d for d in rep.detections if 2000 <= d.start_index <= 4500]
    assert in_ramp
    kinds = [d.kind for d in in_ramp]
    assert kinds.count("gradual") > len(kinds) / 2


@pytest.mark.skipif(not adwin_available(), reason="river is not installed")
def test_adwin_from_river_detects_the_change():
    rep = detect_concept_drift(sudden(2), detectors=("adwin",))
    assert any(abs(d.start_index - 3000) <= 50 and d.kind == "sudden" for d in rep.detections)


def test_a_stable_stream_gives_no_detection_and_bad_input_clear_errors():
    rng = np.random.default_rng(5)
    rep = detect_concept_drift((rng.uniform(size=5000) < 0.2).astype(float), detectors=("page_hinkley",))
    assert rep.detections == [] and rep.status() == "ok" and "No concept drift" in rep.summary()
    with pytest.raises(InsufficientData):
        detect_concept_drift([1.0])
    with pytest.raises(InvalidInput, match="DDM needs a 0/1 error stream"):
        detect_concept_drift([0.3, 0.5, 0.7], detectors=("ddm",))
