"""Drift tests, one per module: a pure function plus a :class:`StatTest` descriptor.

=============  ==================================  ============  =========  =================
name           test                                columns       threshold  drift when
=============  ==================================  ============  =========  =================
ks             Kolmogorov-Smirnov (two-sample)     numeric       0.05       p-value < t
chi2           chi-squared, 2 x k contingency      categorical   0.05       p-value < t
psi            Population Stability Index          both          0.1        value >= t
wasserstein    Wasserstein-1 / std(reference)      numeric       0.1        value >= t
jensenshannon  Jensen-Shannon distance             both          0.1        value >= t
=============  ==================================  ============  =========  =================

Every result also has a *severity* (:func:`base.severity`), the one number drift reports rank
features by: ``statistic / threshold`` for the distance tests, ``log(p) / log(threshold)`` for the
p-value tests; 0 for identical samples, 1 at the threshold, larger is more drifted.
"""

from __future__ import annotations

from ...errors import InvalidInput
from .base import StatTest, TestResult, severity
from .chisquare import CHI2, chisquare
from .jensenshannon import JENSEN_SHANNON, jensenshannon
from .ks import KS, ks
from .psi import PSI, psi
from .wasserstein import WASSERSTEIN, wasserstein

STATTESTS: dict[str, StatTest] = {t.name: t for t in (KS, CHI2, PSI, WASSERSTEIN, JENSEN_SHANNON)}
ALIASES = {"chisquare": "chi2", "chi-squared": "chi2", "js": "jensenshannon", "wasserstein_distance": "wasserstein"}


def get_stattest(name: str) -> StatTest:
    key = ALIASES.get(str(name).lower(), str(name).lower())
    try:
        return STATTESTS[key]
    except KeyError:
        raise InvalidInput(
            f"Unknown drift method {name!r}.", hint=f"Use 'auto' or one of: {', '.join(STATTESTS)}."
        ) from None


__all__ = [
    "StatTest", "TestResult", "severity", "STATTESTS", "get_stattest",
    "KS", "CHI2", "PSI", "WASSERSTEIN", "JENSEN_SHANNON",
    "ks", "chisquare", "psi", "wasserstein", "jensenshannon",
]
