"""`ulearn train --data FILE`: your own feature table (CSV or .npz), checked first."""
import csv

import numpy as np
import pytest

from ulearn_host import tasks, userdata
from ulearn_host.cli import main
from ulearn_host.cli._common import TASKS


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


@pytest.fixture
def digits_csv(tmp_path):
    """Real data: scikit-learn's digits as a CSV a user would export (label column last)."""
    from ulearn_host import datasets
    X, y = datasets.load_digits()
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                      "nine"])[y]
    return write_csv(tmp_path / "digits.csv", ["p%d" % i for i in range(64)] + ["digit"],
                     [list(map(int, x)) + [n] for x, n in zip(X, names)]), X, names


def test_the_cli_knows_the_built_in_tasks():
    assert TASKS == tasks.NAMES


def test_train_on_a_csv_of_your_own(digits_csv, tmp_path, capsys):
    path, X, y = digits_csv
    out = tmp_path / "model.npz"
    assert main(["train", "--data", path, "--target", "digit", "--epochs", "10",
                 "-o", str(out), "--json"]) == 0
    import json
    r = json.loads(capsys.readouterr().out)
    assert sorted(r["classes"]) == sorted(["zero", "one", "two", "three", "four", "five", "six",
                                           "seven", "eight", "nine"])
    assert r["train_samples"] + r["test_samples"] == len(y) and r["test_accuracy"] > 0.85
    import ulearn
    clf = ulearn.load(str(out))
    assert clf.predict_one(X[0].astype(np.float32)) == "zero"


def test_an_npz_table_is_the_same_task(digits_csv, tmp_path):
    path, X, y = digits_csv
    np.savez(tmp_path / "d.npz", X=X, y=y)  # the same labels
    a, b = tasks.load_task(str(tmp_path / "d.npz")), tasks.load_task(path, "digit")
    assert np.array_equal(a.X, b.X) and (a.split == b.split).all()
    assert len(a.names) == len(b.names) == 10


@pytest.mark.parametrize("header, rows, said", [
    (["a", "b"], [[1, 2]], "has no column 'label' (its columns: a, b)"),
    (["label"], [["x"]], "has no feature column besides 'label'"),
    (["a", "label"], [[1, "x"], [2]], "row 2: 1 values, the header has 2"),
    (["a", "label"], [[1, "x"], ["abc", "y"]], "row 2, column 'a': 'abc' is not a number"),
    (["a", "label"], [[1, "x"], ["nan", "y"]], "row 2, column 'a': nan is not a finite float32"),
    (["a", "label"], [[1, "x"], [1e39, "y"]], "row 2, column 'a': 1e+39 is not a finite float32"),
    (["a", "label"], [[1, "x"], [2, ""]], "row 2, column 'label': no label"),
    (["a", "label"], [[1, "x"], [2, "x"]], "one class only ('x')"),
    (["a", "label"], [[1, "x"], [2, "x"], [3, "y"]], "class 'y' has 1 row; the train/test split needs 2"),
])
def test_bad_tables_are_refused_naming_where(tmp_path, capsys, header, rows, said):
    path = write_csv(tmp_path / "mine.csv", header, rows)
    with pytest.raises(ValueError, match="mine.csv") as e:
        userdata.load_table(path)
    assert said in str(e.value)
    out = tmp_path / "model.npz"
    assert main(["train", "--data", path, "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err and "Traceback" not in err
    assert not out.exists()


def test_bad_npz_files(tmp_path):
    np.savez(tmp_path / "a.npz", X=np.zeros((4, 2)))
    with pytest.raises(ValueError, match="needs arrays X and y; it has: X"):
        userdata.load_table(str(tmp_path / "a.npz"))
    np.savez(tmp_path / "b.npz", X=np.zeros((4, 2)), y=np.zeros(3))
    with pytest.raises(ValueError, match=r"same length; got X \(4, 2\), y \(3,\)"):
        userdata.load_table(str(tmp_path / "b.npz"))
    (tmp_path / "c.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="c.npz is not a readable .npz file"):
        userdata.load_table(str(tmp_path / "c.npz"))
    X = np.ones((4, 2))
    X[2, 1] = np.inf
    np.savez(tmp_path / "d.npz", X=X, y=np.array([0, 0, 1, 1]))
    with pytest.raises(ValueError, match="d.npz, row 3, column 2 of X: not finite"):
        userdata.load_table(str(tmp_path / "d.npz"))


def test_a_missing_file_is_one_line(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "none.csv"), "-o", str(tmp_path / "m.npz")]) == 1
    err = capsys.readouterr().err
    assert "none.csv" in err and err.count("\n") == 1
    assert main(["train", "--data", "nope", "-o", str(tmp_path / "m.npz")]) == 1
    err = capsys.readouterr().err
    assert "unknown task 'nope'; choose from: watch, digits, or give a CSV or .npz file" in err
    assert not (tmp_path / "m.npz").exists()


def test_eval_scores_a_model_on_your_own_table(digits_csv, tmp_path, capsys):
    import json
    path, X, names = digits_csv
    model = str(tmp_path / "model.npz")
    assert main(["train", "--data", path, "--target", "digit", "--epochs", "5", "-o", model,
                 "--json"]) == 0
    trained = json.loads(capsys.readouterr().out)
    png = tmp_path / "cm.png"
    assert main(["eval", "--model", model, "--data", path, "--target", "digit",
                 "--plot", str(png), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["accuracy"] == trained["test_accuracy"] and r["samples"] == trained["test_samples"]
    m = r["confusion"]
    assert sum(map(sum, m)) == r["samples"] and sum(r["counts"].values()) == r["samples"]
    assert sum(m[i][i] for i in range(len(m))) == round(r["accuracy"] * r["samples"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["eval", "--model", model, "--data", path, "--target", "digit",
                 "--split", "all"]) == 0
    assert "(all split, %d rows)" % len(names) in capsys.readouterr().out
