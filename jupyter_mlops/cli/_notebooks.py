"""The example notebooks: where they are in a source checkout (``notebooks/``) and in a wheel
(``jupyter_mlops/_notebooks/``, force-included by pyproject.toml), so that ``mlops demo`` and
``mlops notebooks`` work for a pip-installed user too."""

from __future__ import annotations

from pathlib import Path

#: every notebook the wheel ships; pyproject.toml's force-include lists the same (a test checks)
EXAMPLES = (
    "quickstart.ipynb",  # register, approve, promote, load, audit, deploy, canary, rollback
    "endpoints.ipynb",  # boto3 against a local endpoint, guardrails, capture
    "monitoring.ipynb",  # baseline, drift, quality, bias, attribution, with the charts
    "retraining.ipynb",  # the whole loop; runs train_churn.ipynb
    "train_churn.ipynb",  # the retraining job retraining.ipynb schedules
    "retrain_incremental.ipynb",  # a run that updates the production model with partial_fit
)

_PACKAGE = Path(__file__).resolve().parents[1]
_PLACES = (_PACKAGE.parent / "notebooks", _PACKAGE / "_notebooks")  # a checkout first, then the wheel's


def example_folder() -> Path | None:
    """The folder holding the example notebooks, or None when this copy has none."""
    for folder in _PLACES:
        if (folder / EXAMPLES[0]).exists():
            return folder
    return None


def example(name: str) -> Path | None:
    folder = example_folder()
    return folder / name if folder is not None else None
