"""jupyter_mlops._core.inputs: what each option means, and what a bad one says."""

from __future__ import annotations

import pandas as pd
import pytest

from jupyter_mlops._core import inputs
from jupyter_mlops._core.errors import InvalidInput


@pytest.mark.parametrize("raw, value", [
    ("0.91", 0.91), ("3", 3), ("True", True), ("[1, 2]", [1, 2]), ("'quoted'", "quoted"),
    ("growth", "growth"), ("a b", "a b"), ("", ""),
])
def test_literal_or_text(raw, value):
    assert inputs.literal_or_text(raw) == value and type(inputs.literal_or_text(raw)) is type(value)


def test_parse_pairs_reads_values_as_python_literals():
    assert inputs.parse_pairs(["auc=0.91", "C=1.0", "team=growth", "q=a=b"], "--metric") == {
        "auc": 0.91, "C": 1.0, "team": "growth", "q": "a=b"}
    assert inputs.parse_pairs(None, "--tag") == {} and inputs.parse_pairs((), "--tag") == {}


@pytest.mark.parametrize("item", ["auc", "=0.9"])
def test_parse_pairs_names_the_option_and_the_word(item):
    with pytest.raises(InvalidInput, match=rf"^--metric expects KEY=VALUE, got '{item}'\.$"):
        inputs.parse_pairs([item], "--metric")


def test_parse_pairs_with_a_numeric_convert_says_the_value_must_be_a_number():
    assert inputs.parse_pairs(["n=2"], "--limit", convert=int) == {"n": 2}
    with pytest.raises(InvalidInput, match=r"--limit 'n=two': the value must be a number\."):
        inputs.parse_pairs(["n=two"], "--limit", convert=int)


def test_notebook_parameters_read_papermill_pairs_as_python_literals():
    pairs = [("max_depth", "8"), ("C", "0.1"), ("solver", "lbfgs"), ("grid", "[1, 2]"), ("warm", "True")]
    assert inputs.notebook_parameters(pairs) == {"max_depth": 8, "C": 0.1, "solver": "lbfgs", "grid": [1, 2],
                                                 "warm": True}
    assert inputs.notebook_parameters(None) == {} and inputs.notebook_parameters([]) == {}


@pytest.mark.parametrize("pairs, message", [
    ([("C", "1"), ("C", "2")], "-p C is given twice"),
    ([("max-depth", "8")], "'max-depth' is not a parameter name"),
])
def test_notebook_parameters_refuse_what_no_notebook_could_declare(pairs, message):
    with pytest.raises(InvalidInput, match=message):
        inputs.notebook_parameters(pairs)


def test_traffic_weights_are_floats():
    weights = inputs.traffic_weights(["churn-v3=50", "churn-v4=12.5"])
    assert weights == {"churn-v3": 50.0, "churn-v4": 12.5} and all(type(w) is float for w in weights.values())
    with pytest.raises(InvalidInput, match=r"^traffic expects VARIANT=WEIGHT, got 'churn-v3'\.$"):
        inputs.traffic_weights(["churn-v3"])
    with pytest.raises(InvalidInput, match=r"^traffic 'churn-v3=half': the weight must be a number\.$"):
        inputs.traffic_weights(["churn-v3=half"])


@pytest.mark.parametrize("flags, rollout", [
    ({}, (None, None)),
    ({"canary": 10.0}, ("canary", 10.0)),
    ({"linear": 25.0}, ("linear", 25.0)),
    ({"blue_green": True}, ("blue_green", None)),
    ({"shadow": 5.0}, ("shadow", 5.0)),
    ({"ab": 50.0}, ("ab", 50.0)),
    ({"canary": 0.0}, ("canary", 0.0)),
])
def test_rollout_from_flags(flags, rollout):
    assert inputs.rollout_from_flags(**flags) == rollout


@pytest.mark.parametrize("flags", [{"canary": 10, "ab": 5}, {"linear": 10, "blue_green": True},
                                   {"shadow": 1, "ab": 1, "canary": 1}])
def test_rollout_flags_are_exclusive(flags):
    with pytest.raises(InvalidInput, match=r"^Choose one of --canary, --linear, --blue-green, --shadow, --ab\.$"):
        inputs.rollout_from_flags(**flags)


def test_guardrails_from():
    assert inputs.guardrails_from() is None
    assert inputs.guardrails_from(max_error_rate=0.02) == {"max_error_rate": 0.02}
    assert inputs.guardrails_from(0.0, 50.0) == {"max_error_rate": 0.0, "max_p99_ms": 50.0}


@pytest.mark.parametrize("text, value", [(None, None), ("", None), ("1", 1), ("0.5", 0.5), ("female", "female")])
def test_number_or_text(text, value):
    assert inputs.number_or_text(text) == value and type(inputs.number_or_text(text)) is type(value)


@pytest.mark.parametrize("path, kind", [
    ("a.csv", "csv"), ("a.csv.gz", "csv"), ("a.txt", "csv"), ("A.CSV", "csv"), ("s3://bucket/x/a.csv", "csv"),
    ("a.parquet", "parquet"), ("a.pq", "parquet"), ("gs://b/a.PARQUET", "parquet"),
])
def test_frame_format(path, kind):
    assert inputs.frame_format(path) == kind and inputs.is_data_file(path)


@pytest.mark.parametrize("path", ["a.tsv", "a.json", "churn:3", "train", "a.csv.bz2"])
def test_frame_format_refuses_other_files_and_says_which_it_reads(path):
    assert not inputs.is_data_file(path)
    with pytest.raises(InvalidInput, match=rf"^'{path}' is neither CSV nor Parquet: name a \.csv, \.csv\.gz, "
                                           r"\.txt, \.parquet or \.pq file\.$"):
        inputs.frame_format(path)


@pytest.mark.parametrize("name", ["t.csv", "t.csv.gz", "t.parquet", "t.pq", "t.txt"])
def test_write_frame_and_read_frame_round_trip(tmp_path, name):
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    inputs.write_frame(frame, str(tmp_path / name))
    pd.testing.assert_frame_equal(inputs.read_frame(str(tmp_path / name)), frame)


def test_read_frame_of_nothing_is_none_and_of_a_missing_file_names_it(tmp_path):
    assert inputs.read_frame(None) is None
    missing = str(tmp_path / "nope.csv")
    with pytest.raises(InvalidInput, match=r"nope\.csv'?: no such file; check the path\."):
        inputs.read_frame(missing)
    with pytest.raises(InvalidInput, match="neither CSV nor Parquet"):
        inputs.write_frame(pd.DataFrame({"a": [1]}), str(tmp_path / "t.xlsx"))


def test_read_frame_takes_fsspec_urls():
    import fsspec

    with fsspec.open("memory://inputs/t.csv", "w") as fh:
        fh.write("a,b\n1,2\n")
    assert inputs.read_frame("memory://inputs/t.csv").to_dict("records") == [{"a": 1, "b": 2}]


def test_read_labels(tmp_path):
    pd.DataFrame({"churned": [0, 1, 1]}).to_csv(tmp_path / "y.csv", index=False)
    pd.DataFrame({"inference_id": ["a", "b"], "label": [1, 0]}).to_parquet(tmp_path / "gt.parquet")
    y = inputs.read_labels(str(tmp_path / "y.csv"))
    assert isinstance(y, pd.Series) and y.name == "churned" and y.tolist() == [0, 1, 1]
    gt = inputs.read_labels(str(tmp_path / "gt.parquet"))
    assert isinstance(gt, pd.DataFrame) and list(gt.columns) == ["inference_id", "label"]
    assert inputs.read_labels(None) is None


@pytest.mark.parametrize("name, kind", [("m.skops", "skops"), ("m.joblib", "joblib"), ("m.pkl", "joblib"),
                                        ("m.pickle", "joblib"), ("M.SKOPS", "skops")])
def test_model_files_round_trip(tmp_path, clf, name, kind):
    assert inputs.model_format(name) == kind
    inputs.write_model(clf, str(tmp_path / name))
    back = inputs.read_model(str(tmp_path / name))
    assert type(back) is type(clf) and (back.coef_ == clf.coef_).all()


@pytest.mark.parametrize("call", [inputs.read_model, inputs.model_format, lambda p: inputs.write_model(object(), p)])
def test_other_model_files_are_refused_with_the_formats_named(tmp_path, call):
    with pytest.raises(InvalidInput, match=r"'m\.bin' is not a model file: name a \.skops, \.joblib, \.pkl or "
                                           r"\.pickle file\.$"):
        call("m.bin")


@pytest.mark.parametrize("text, is_ref", [("churn:3", True), ("churn@production", True), ("X_train", False),
                                          ("churn", False), ("df.head(10)", False)])
def test_looks_like_model_ref(text, is_ref):
    assert inputs.looks_like_model_ref(text) is is_ref


class _Namespace(dict):
    """A lookup that can say what it holds, as the notebook namespace does."""

    def __call__(self, name):
        return self[name]


def test_target_reference():
    data = pd.DataFrame({"tenure": [1], "churned": [0]})
    ns = _Namespace(y=[0], tenure=[5])
    assert inputs.target_reference(None, data, ns) is None
    assert inputs.target_reference("churned", data, ns) == "churned"  # a column of --data
    assert inputs.target_reference("y", data, ns) == [0]  # not a column: the lookup's object
    assert inputs.target_reference("tenure", data, ns) == [5]  # a variable of that name wins over the column
    assert inputs.target_reference("y", None, ns) == [0] and inputs.target_reference("y", [[1]], ns) == [0]


def test_target_reference_with_a_lookup_that_cannot_say_what_it_holds(tmp_path):
    data = pd.DataFrame({"churned": [0, 1]})
    pd.DataFrame({"label": [1, 1]}).to_csv(tmp_path / "churned.csv", index=False)
    assert inputs.target_reference("churned", data, inputs.read_labels) == "churned"
    assert inputs.target_reference(str(tmp_path / "churned.csv"), data, inputs.read_labels).tolist() == [1, 1]
    with pytest.raises(InvalidInput, match="neither CSV nor Parquet"):
        inputs.target_reference("label", data, inputs.read_labels)


class _ViewError(Exception):
    pass


def test_raising_turns_invalid_input_into_the_views_error_and_nothing_else():
    as_view = inputs.raising(_ViewError)
    assert as_view.parse_pairs(["a=1"], "--x") == {"a": 1}
    assert as_view.parse_pairs.__name__ == "parse_pairs" and as_view.parse_pairs.__doc__ == inputs.parse_pairs.__doc__
    with pytest.raises(_ViewError, match=r"^--x expects KEY=VALUE, got 'a'\.$") as caught:
        as_view.parse_pairs(["a"], "--x")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__

    def lookup(name):
        raise KeyError(name)

    with pytest.raises(KeyError):  # what the view's own lookup raises is the view's business
        as_view.target_reference("y", None, lookup)
    with pytest.raises(AttributeError):
        as_view.raising  # noqa: B018
    with pytest.raises(AttributeError):
        as_view.InvalidInput  # noqa: B018


def test_importing_inputs_loads_no_heavy_or_view_library():
    import subprocess
    import sys

    code = "import jupyter_mlops._core.inputs, sys; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = {m.split(".")[0] for m in out.stdout.split()}
    assert not loaded & {"pandas", "skops", "joblib", "fsspec", "IPython", "click", "ipywidgets"}
