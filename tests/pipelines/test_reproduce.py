"""``ws.reproduce``: the notebook (or pipeline) that made a version re-run with its recorded parameters
in a fresh kernel, as a run of kind ``reproduce``, then the data hashes, metrics and predictions on
the sample rows compared, the verdict kept on the version; and the policy that requires a PASS
before @production. Every run here starts real kernels, which papermill shuts down."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import jupyter_mlops as mlops
from jupyter_mlops import InvalidInput, NotReproducible, PolicyViolation, RegistryError

from .notebooks import write_notebook

PARAMETERS = """
    data_path = "churn.csv"
    C: float = 1.0
    seed = 0
"""
#: trains on the CSV file data_path names; ``{jitter}`` is where a non-deterministic variant adds noise
TRAIN_FROM_FILE = """
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    import jupyter_mlops as mlops

    frame = pd.read_csv(data_path)
    X, y = frame[["tenure", "monthly", "support_calls"]], frame["churned"]
    clf = LogisticRegression(C=C, max_iter=1000).fit(X + {jitter}, y)
    mlops.Workspace().register(clf, "churn", data=X, target=y, metrics={{"accuracy": float(clf.score(X, y))}},
                               params={{"C": C}})
"""


def customers(path, seed: int, rows: int = 300):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"tenure": rng.integers(0, 72, rows).astype(float), "monthly": rng.normal(70, 20, rows),
                          "support_calls": rng.poisson(2, rows).astype(float)})
    frame["churned"] = ((frame.support_calls * 0.8 - frame.tenure * 0.05 + rng.normal(0, 1, rows)) > 0).astype(int)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def data_file(tmp_path):
    return customers(tmp_path / "nb" / "churn.csv", seed=0)


@pytest.fixture
def train_nb(tmp_path, data_file):
    return write_notebook(tmp_path / "nb" / "train.ipynb", PARAMETERS, TRAIN_FROM_FILE.format(jitter=0))


def test_a_version_trained_by_a_run_reproduces(ws, train_nb, capsys):
    run = ws.retrain("churn", str(train_nb), parameters={"data_path": "churn.csv", "C": 0.5})
    assert run.versions == ["churn:1"]

    capsys.readouterr()
    result = ws.reproduce("churn:1", progress=True)
    err = capsys.readouterr().err  # a bar of its steps: the re-run, then the three comparisons
    assert "reproduce churn:1" in err and "4/4" in err
    assert isinstance(result, mlops.Reproduction) and result.status == "PASS" and result.passed
    assert {c["name"]: c["status"] for c in result.checks} == {
        "run": "pass", "data": "pass", "metrics": "pass", "predictions": "pass"}
    assert result.differences == [] and result.original_run == run.id and result.tolerance == {"abs": 1e-6, "rel": 1e-4}
    data = next(c for c in result.checks if c["name"] == "data")
    recorded = ws.get("churn:1").lineage
    assert data["expected"] == {"data": recorded["data"]["sha256"], "target": recorded["target"]["sha256"]}
    assert data["actual"] == data["expected"]
    predictions = next(c for c in result.checks if c["name"] == "predictions")
    assert len(predictions["expected"]) == 5 and predictions["actual"] == predictions["expected"]
    assert result.inputs[0]["path"] == str(train_nb.parent / "churn.csv") and not result.inputs[0]["changed"]
    assert result.inputs[0]["named_by"] == "parameter data_path"

    # the re-run is a run of kind reproduce, with the recorded parameters, in a fresh kernel
    again = ws.runs("churn").loc[result.run["id"]]
    assert again["kind"] == "reproduce" and again["status"] == "succeeded"
    assert again["result"]["parameters"] == {"data_path": "churn.csv", "C": 0.5}
    assert again["result"]["trigger"] == {"kind": "reproduce", "of": "churn:1", "run": run.id}

    # its version is the evidence, archived: never the latest, listed with the verdict
    assert result.reproduced_as == "churn:2" and ws.get("churn:2").status == "archived"
    assert ws.get("churn").version == 1 and ws.get("churn:2").lineage["run"]["kind"] == "reproduce"
    listed = ws.versions("churn")
    assert listed.loc[1, "reproduction"] == "PASS" and listed.loc[2, "status"] == "archived"
    with pytest.raises(RegistryError, match="registered by reproduction run .* evidence"):
        ws.promote("churn:2", "staging")
    with pytest.raises(NotReproducible, match="is the version reproduction run .* registered"):
        ws.reproduce("churn:2")

    # kept on the version, with an audit entry
    stored = ws.get("churn:1")
    assert stored.reproduction == result.to_dict() and stored.reproduced
    assert "reproduction PASS" in stored._repr_html_() and "PASS" in result._repr_html_()
    entry = ws.audit("churn").iloc[-1]
    assert entry["action"] == "reproduction" and entry["target"] == "churn:1"


def test_the_version_fails_once_the_data_file_it_read_changed(ws, train_nb, data_file):
    ws.retrain("churn", str(train_nb), parameters={"data_path": "churn.csv"})
    customers(data_file, seed=1)  # the file the notebook reads now holds other customers

    result = ws.reproduce("churn:1")
    assert result.status == "FAIL"
    data = next(c for c in result.checks if c["name"] == "data")
    assert data["status"] == "fail" and data["actual"]["data"] != data["expected"]["data"]
    assert any(d.startswith("the training data changed: sha256 ") for d in data["differences"])
    culprit = data["differences"][-1]
    assert culprit.startswith(f"the input that changed: {data_file} (parameter data_path), modified ")
    assert "after the version was registered" in culprit
    assert result.inputs[0]["changed"] and f"data: the input that changed: {data_file}" in "\n".join(result.differences)
    assert ws.get("churn:1").reproduction["status"] == "FAIL" and not ws.get("churn:1").reproduced
    assert ws.versions("churn").loc[1, "reproduction"] == "FAIL"


def test_a_notebook_whose_parameter_seeds_nothing_fails_on_its_predictions(ws, tmp_path, data_file):
    # `seed` is a parameter, but the noise the model is trained on comes from an unseeded generator
    noisy = write_notebook(tmp_path / "nb" / "noisy.ipynb", PARAMETERS,
                           TRAIN_FROM_FILE.format(jitter="np.random.default_rng().normal(0, 2.0, X.shape)"))
    ws.retrain("churn", str(noisy), parameters={"seed": 7})

    result = ws.reproduce("churn:1", tolerance={"abs": 1e-9, "rel": 1e-6})
    checks = {c["name"]: c for c in result.checks}
    assert result.status == "FAIL" and checks["data"]["status"] == "pass"  # the same data, another model
    predictions = checks["predictions"]
    assert predictions["status"] == "fail" and predictions["differences"]
    assert all(re.match(r"row \d+ (prediction|probability of class [01]): 0\.\d+ → 0\.\d+$", d)
               for d in predictions["differences"])
    assert any(d.startswith("predictions: row ") for d in result.differences)
    assert result.tolerance == {"abs": 1e-9, "rel": 1e-6}
    assert "FAIL" in repr(result) and "predictions" in result._repr_html_()


def test_the_magic_returns_the_reproduction_and_the_cli_exits_3_when_it_fails(shell, ws, train_nb, data_file):
    from click.testing import CliRunner

    from jupyter_mlops.cli import main

    ws.retrain("churn", str(train_nb))
    passed = shell.run_line_magic("mlops", "reproduce churn:1 --tolerance abs=0.001 rel=0.01")
    assert isinstance(passed, mlops.Reproduction) and passed.passed and passed.tolerance == {"abs": 0.001, "rel": 0.01}

    customers(data_file, seed=2)
    failed = CliRunner().invoke(main, ["reproduce", "churn:1"])
    assert failed.exit_code == 3, failed.output
    assert failed.output.startswith("FAIL: churn:1 did not reproduce: data, metrics, predictions differ")
    assert f"the input that changed: {data_file} (parameter data_path, its default), its sha256 is " in failed.output


def test_a_version_registered_by_hand_is_refused_saying_what_reproduction_needs(ws, clf, numeric_data):
    ws.register(clf, "churn", data=numeric_data[0])
    with pytest.raises(NotReproducible, match=r"churn:1 was registered outside a run .* reproduction re-runs the "
                                              r"notebook of the run .* ws.retrain\('churn', 'train.ipynb'\)"):
        ws.reproduce("churn:1")
    assert ws.runs().empty and ws.get("churn:1").reproduction is None
    with pytest.raises(InvalidInput, match="tolerance is how far .* got -1"):
        ws.reproduce("churn:1", tolerance=-1)
    with pytest.raises(InvalidInput, match="tolerance has unknown key.* absolute"):
        ws.reproduce("churn:1", tolerance={"absolute": 0.1})


def test_the_policy_refuses_production_without_a_passing_reproduction(ws, train_nb):
    ws.policy(require_reproduction=True)
    ws.retrain("churn", str(train_nb))
    with pytest.raises(PolicyViolation, match=r"churn:1 has not been reproduced; the workspace policy "
                                              r"\(require_reproduction\) .* Reproduce it: ws.reproduce\('churn:1'\)"):
        ws.promote("churn:1", "production")
    assert ws.promote("churn:1", "staging").aliases == ("staging",)  # other aliases need none

    assert ws.reproduce("churn:1").passed
    assert ws.promote("churn:1", "production").aliases == ("production", "staging")

    # a later failing reproduction replaces the pass: production is refused again, naming why
    ws.retrain("churn", str(train_nb))
    customers(train_nb.parent / "churn.csv", seed=3)
    assert not ws.reproduce("churn:3").passed
    with pytest.raises(PolicyViolation, match=r"churn:3 failed its latest reproduction \(run \d+: data: the "
                                              r"training data changed: .* and \d+ more difference"):
        ws.promote("churn:3", "production")
    assert ws.get("churn@production").version == 1


def test_a_notebook_changed_since_the_run_is_reproduced_from_the_code_the_run_executed(ws, train_nb):
    run = ws.retrain("churn", str(train_nb))
    write_notebook(train_nb, PARAMETERS, TRAIN_FROM_FILE.format(jitter=0).replace("C=C", "C=C * 100"))

    result = ws.reproduce("churn:1")
    assert result.passed, result.differences
    assert result.notes == [f"train.ipynb has changed (its sha256 is now {sha256_of(train_nb)[:12]}…) since run "
                            f"{run.id}: the code that run executed was re-run, from its output notebook"]
    assert ws.get(result.reproduced_as).lineage["notebook"]["sha256"] == run.sha256


def sha256_of(path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


PREP = """
    import pandas as pd
    import jupyter_mlops as mlops

    mlops.output("train", pd.read_csv(data_path).head(rows))
"""
TRAIN_STEP = """
    from sklearn.linear_model import LogisticRegression
    import jupyter_mlops as mlops

    X, y = train[["tenure", "monthly", "support_calls"]], train["churned"]
    clf = LogisticRegression(max_iter=1000).fit(X, y)
    mlops.Workspace().register(clf, "churn", data=X, target=y, metrics={"accuracy": float(clf.score(X, y))})
"""


def test_a_pipeline_version_reproduces_by_running_its_steps_again(ws, tmp_path, data_file):
    prep = write_notebook(tmp_path / "nb" / "prep.ipynb", 'data_path = "churn.csv"\nrows = 100', PREP)
    train = write_notebook(tmp_path / "nb" / "fit.ipynb", "train = None", TRAIN_STEP)
    run = ws.pipeline("churn", [str(prep), str(train)], parameters={"rows": 250})
    assert run.versions == ["churn:1"]

    result = ws.reproduce("churn:1")
    assert result.passed, result.differences
    again = ws.runs("churn").loc[result.run["id"], "result"]
    assert [s["status"] for s in again["steps"]] == ["succeeded", "succeeded"]  # no step taken from the cache
    assert again["parameters"] == {"rows": 250} and result.run["notebooks"] == [str(prep), str(train)]
    assert ws.get(result.reproduced_as).lineage["data"]["shape"] == [250, 3]

