"""skops.io imported through ``_core/skops_import.py`` trusts exactly what it would trust when
imported plainly: the estimator list handed to it is scikit-learn's own ``all_estimators()``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jupyter_mlops
from jupyter_mlops._core.skops_import import _estimators

ROOT = Path(jupyter_mlops.__file__).resolve().parent.parent
TRUSTED = ("import sys; sys.path.insert(0, {root!r}); {imp}; from skops.io import _trusted_types as t; "
           "print(repr(sorted(t.SKLEARN_ESTIMATOR_TYPE_NAMES + t.SKLEARN_INTERNAL_TYPE_NAMES)))")


def test_the_pruned_walk_finds_what_all_estimators_finds():
    from sklearn.utils import all_estimators

    assert _estimators() == all_estimators()
    assert _estimators("classifier") == all_estimators("classifier")


def test_skops_trusts_the_same_types_either_way():
    def trusted(imp: str) -> str:
        out = subprocess.run([sys.executable, "-c", TRUSTED.format(root=str(ROOT), imp=imp)],
                             capture_output=True, text=True, check=True, timeout=120)
        return out.stdout

    plain = trusted("import skops.io")
    ours = trusted("from jupyter_mlops._core.skops_import import skops_io; skops_io()")
    assert ours == plain and "sklearn.linear_model._logistic.LogisticRegression" in ours
