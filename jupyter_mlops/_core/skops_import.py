"""``skops.io``, imported about twice as fast, with the same trusted types.

Importing ``skops.io`` computes its default trusted types, among them every scikit-learn
estimator, by calling ``sklearn.utils.all_estimators()``. That walks all of scikit-learn with
``pkgutil.walk_packages``, which imports every *package* it passes in order to look inside,
including the ones whose modules it then skips (``tests``, ``externals``, private ``_x``
packages): ``sklearn.externals.array_api_compat`` alone imports ``dask.array`` when Dask is
installed. Half of the first ``register``'s wait in a fresh kernel went there.

``_estimators`` returns what ``all_estimators()`` returns, walking only the packages whose
modules it would keep (a skipped package's sub-modules are all skipped too, by the same rule), so
skops' trust list is the same list; ``tests/test_skops_import.py`` holds the two equal. It is
handed to skops only while ``skops.io`` is first imported.
"""

from __future__ import annotations

import sys
import threading

_lock = threading.Lock()


def _estimators(type_filter=None):
    import inspect
    import pkgutil
    import warnings
    from importlib import import_module

    import sklearn
    from sklearn.base import BaseEstimator
    from sklearn.utils import discovery

    if type_filter is not None:  # only skops' own call (no filter) is ever served here
        return discovery.all_estimators(type_filter)

    def skipped(name: str) -> bool:  # sklearn's own rule (discovery.all_estimators)
        return any(part in discovery._MODULE_TO_IGNORE for part in name.split(".")) or "._" in name

    found = set()

    def walk(package: str, path) -> None:
        for info in pkgutil.iter_modules(path, package + "."):
            if skipped(info.name):
                continue
            module = import_module(info.name)
            found.update((n, c) for n, c in inspect.getmembers(module, inspect.isclass) if not n.startswith("_"))
            if info.ispkg:
                walk(info.name, module.__path__)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        walk("sklearn", sklearn.__path__)
    estimators = [(n, c) for n, c in found if issubclass(c, BaseEstimator) and n != "BaseEstimator"
                  and not (getattr(c, "__abstractmethods__", None) and len(c.__abstractmethods__))]
    return sorted(set(estimators), key=lambda pair: pair[0])


def skops_io():
    """The ``skops.io`` module (imported on first use, see the module docstring)."""
    module = sys.modules.get("skops.io")
    if module is not None and "skops.io._trusted_types" in sys.modules:
        return module
    with _lock:
        import sklearn.utils

        original = sklearn.utils.all_estimators
        sklearn.utils.all_estimators = _estimators
        try:
            import skops.io
        finally:
            sklearn.utils.all_estimators = original
    return skops.io
