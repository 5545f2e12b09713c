"""Fuzzed files for the command line: any file given to ``automl fit`` or ``automl predict``
gives a model, the right number of predictions, or exit status 2 with one line that names the
problem; never a traceback or a silently misread table.

Hypothesis writes small tables with any separator, encoding, line ending and quoting, and
breaks some of them (ragged rows, repeated names, a missing or unusable target, nothing but a
header). ``fit`` is checked up to the search (``prepare_fit``: reading and validation); two
real fits and one model fuzzed with ``predict`` cover the rest.
"""

from __future__ import annotations

import contextlib
import csv
import io
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from automl.cli import _parser, main
from automl.cli_fit import prepare_fit

# no "explain" phase: it reruns a failing example hundreds of times
PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink)
EXAMPLES = settings(
    max_examples=120,
    deadline=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FIT_OPTIONS = ["--time-budget", "10", "--max-trials", "1", "--n-jobs", "1", "-q"]
FAST_FAMILY = ["--include", "logistic_regression,ridge", "--warm-start", "none"]

# Text without separators in names (a header split two ways evenly is truly ambiguous), but
# values may hold any of them, quotes and line breaks.
NAME_CHARS = st.characters(
    codec="utf-8", exclude_categories=["Cs", "Cc"], exclude_characters=",;\t|"
)
VALUE_CHARS = st.one_of(
    st.sampled_from(list(',;\t|"\n\r ')),
    st.sampled_from(list("abzéü名€")),
    st.characters(codec="utf-8", exclude_characters="\x00"),  # NUL: a binary file, refused
)


@dataclass
class Table:
    """A table as the test knows it, before it is written as a file."""

    names: list[str]
    columns: list[list[object]]  # one list per column, None for a missing value
    target: str
    kinds: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def rows(self) -> list[list[object]]:
        return [list(row) for row in zip(*self.columns)]


@dataclass(frozen=True)
class Layout:
    sep: str
    encoding: str
    newline: str
    decimal_comma: bool
    quoting: int  # csv.QUOTE_MINIMAL, QUOTE_ALL or QUOTE_NONNUMERIC
    name_sep: bool  # pass --sep
    name_encoding: bool  # pass --encoding


@st.composite
def tables(draw: st.DrawFn) -> Table:
    n = draw(st.integers(2, 8))
    n_features = draw(st.integers(1, 3))
    names = draw(
        st.lists(
            st.text(NAME_CHARS, min_size=1, max_size=6).filter(_plain_name),
            min_size=n_features + 1,
            max_size=n_features + 1,
            unique=True,
        )
    )
    columns, kinds = [], []
    for _ in range(n_features):
        kind = draw(st.sampled_from(["int", "float", "text"]))
        missing = st.none() if draw(st.booleans()) else st.nothing()
        if kind == "int":
            values = st.one_of(st.integers(-1000, 1000), missing)
        elif kind == "float":
            values = st.one_of(st.floats(-1e6, 1e6, allow_nan=False).map(_tidy), missing)
        else:  # a letter first: "1", "NA" or "true" would be read as numbers or missing
            values = st.one_of(st.text(VALUE_CHARS, max_size=5).map("v".__add__), missing)
        columns.append(draw(st.lists(values, min_size=n, max_size=n)))
        kinds.append(kind)
    labels = draw(st.sampled_from([["p", "q"], ["p", "q", "r"], [0, 1], [1.5, -2.25, 7.0]]))
    target = draw(st.lists(st.sampled_from(labels), min_size=n, max_size=n))
    if len(set(target)) < 2:  # a usable target unless broken on purpose below
        target[0], target[1] = labels[0], labels[1]
    columns.append(target)
    kinds.append("target")
    return Table(names, columns, names[-1], kinds)


def _plain_name(name: str) -> bool:
    # pandas reads these names differently on purpose ("Unnamed: 0"); not what is tested here
    return name.strip() == name and not name.startswith('"') and "\x00" not in name


def _tidy(value: float) -> float:
    return float(f"{value:.6g}")


layouts = st.builds(
    Layout,
    sep=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    decimal_comma=st.booleans(),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    name_sep=st.booleans(),
    name_encoding=st.booleans(),
)

BREAKS = [
    "none",
    "long_row",
    "short_row",
    "repeated_name",
    "header_only",
    "empty",
    "target_all_missing",
    "target_some_missing",
    "target_one_class",
    "target_not_in_file",
]


def render(table: Table, layout: Layout) -> bytes:
    """The table as the bytes of a CSV file; floats with a decimal comma if asked (';' only)."""
    comma = layout.decimal_comma and layout.sep == ";"
    buffer = io.StringIO()
    writer = _writer(buffer, layout)
    writer.writerow(table.names)
    for row in table.rows():
        writer.writerow([_cell(value, comma) for value in row])
    return buffer.getvalue().encode(layout.encoding)


def _cell(value: object, decimal_comma: bool) -> object:
    if value is None:
        return ""
    if isinstance(value, float) and decimal_comma:
        return repr(value).replace(".", ",")
    return value


def broken(table: Table, how: str, row: int) -> Table:
    """``table`` with one thing wrong, as named in ``BREAKS``."""
    columns = [list(c) for c in table.columns]
    row %= table.n_rows
    if how == "header_only":
        columns = [[] for _ in columns]
    elif how == "target_all_missing":
        columns[-1] = [None] * table.n_rows
    elif how == "target_some_missing":
        columns[-1][row] = None
    elif how == "target_one_class":
        columns[-1] = [columns[-1][0]] * table.n_rows
    elif how == "repeated_name":
        return replace(table, names=[table.names[-1]] + table.names[1:])
    return replace(table, columns=columns)


def ragged(data: str, layout: Layout, how: str, row: int, n_rows: int) -> str:
    """One data row given one field more ("x") or its last field cut off."""
    rows = list(csv.reader(io.StringIO(data, newline=""), delimiter=layout.sep))
    index = 1 + row % n_rows
    rows[index] = rows[index] + ["x"] if how == "long_row" else rows[index][:-1]
    buffer = io.StringIO()
    _writer(buffer, layout).writerows(rows)
    return buffer.getvalue()


def _writer(buffer: io.StringIO, layout: Layout):
    return csv.writer(
        buffer, delimiter=layout.sep, lineterminator=layout.newline, quoting=layout.quoting
    )


def writable(table: Table, layout: Layout) -> Layout:
    """A layout Python's writer gets right: it quotes a carriage return in a field only when
    the line ending holds one (unquoted, it breaks the row: see test_csv_reading)."""
    text = [v for c in table.columns for v in c if isinstance(v, str)] + table.names
    if layout.quoting == csv.QUOTE_MINIMAL and any("\r" in v for v in text):
        layout = replace(layout, newline="\r\n")
    if not _encodable(table, layout.encoding):
        layout = replace(layout, encoding="utf-8")
    return layout


def run(arguments: list[str]) -> tuple[int, str, str]:
    """Exit status, standard error and standard output of the command."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(arguments)
        except SystemExit as exit_info:
            code = exit_info.code
    return code, err.getvalue(), out.getvalue()


def assert_one_line_error(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("automl: error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], lines[0]


def csv_options(layout: Layout) -> list[str]:
    options = ["--sep", layout.sep] if layout.name_sep else []
    return options + (["--encoding", layout.encoding] if layout.name_encoding else [])


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz_cli")


@EXAMPLES
@given(
    table=tables(),
    layout=layouts,
    how=st.sampled_from(BREAKS),
    row=st.integers(0, 100),
)
def test_fit_reads_any_file_right_or_names_the_problem(folder, table, layout, how, row):
    table = broken(table, how, row)
    event(how)
    path = folder / "train.csv"
    layout = writable(table, layout)
    if how == "empty":
        path.write_bytes(layout.newline.encode(layout.encoding) if row % 2 else b"")
    elif how in ("long_row", "short_row"):
        text = ragged(render(table, layout).decode(layout.encoding), layout, how, row, table.n_rows)
        path.write_bytes(text.encode(layout.encoding))
    else:
        path.write_bytes(render(table, layout))
    target = "not-a-column" if how == "target_not_in_file" else table.target
    # --target=NAME: a name such as "-x" would be taken for an option
    arguments = ["fit", str(path), f"--target={target}", *csv_options(layout)]
    arguments += ["--out", str(folder / "model.joblib")]
    guessed_latin1 = layout.encoding == "latin-1" and not layout.name_encoding
    unreadable = guessed_latin1 and not _is_utf8(path.read_bytes())
    if guessed_latin1 and not path.read_bytes().isascii() and not unreadable:
        event("Latin-1 bytes that are also UTF-8: ambiguous, not checked")
        return

    try:
        job = prepare_fit(_parser().parse_args(arguments))
    except ValueError as error:
        code, err, _ = run(arguments)  # the command says the same in one line
        assert_one_line_error(code, err, " ".join(str(error).split()))
        expected = {
            "none": None,
            "long_row": " field",
            "short_row": " field",
            "repeated_name": "names a column twice",
            "header_only": "no data rows",
            "empty": "it is empty",
            "target_all_missing": "is empty in every row",
            "target_some_missing": "is empty in 1 of",
            "target_one_class": "one class",
            "target_not_in_file": "is not in",
        }[how]
        if how in ("none", "target_one_class") and _no_feature_values(table):
            expected = "every feature column"
        if unreadable:
            expected = "--encoding"
        assert expected is not None and expected in str(error), str(error)
        return

    assert how in ("none", "target_one_class") and not unreadable, how
    if how == "target_one_class":  # a constant number is a regression target: fit takes it
        assert job.task == "regression"
    assert list(job.table.X.columns) == table.names[:-1]
    assert job.table.y.name == table.target
    assert len(job.table.X) == table.n_rows
    for name, kind, values in zip(table.names, table.kinds, table.columns):
        read = job.table.y if kind == "target" else job.table.X[name]
        expected = pd.Series(values, dtype=object)
        if kind in ("int", "float") or (kind == "target" and not isinstance(values[0], str)):
            np.testing.assert_allclose(read.to_numpy(float), expected.to_numpy(float))
        else:
            assert [None if pd.isna(v) else v for v in read] == values


def _encodable(table: Table, encoding: str) -> bool:
    text = "".join(table.names) + "".join(str(v) for c in table.columns for v in c)
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _no_feature_values(table: Table) -> bool:
    return all(v is None for column in table.columns[:-1] for v in column)


# ---------------------------------------------------------------- real fits and predict


TRAIN = pd.DataFrame(
    {
        "größe": [1.5, 2.25, -0.5, 3.0, 0.25, 1.0, 2.5, -1.25, 0.75, 1.75, 2.0, -0.75],
        "stadt": ["Zürich", "Genève", "Zürich", "Basel", "Genève", "Basel"] * 2,
        "note": ["a;b", 'q"x', "line\nbreak", "z", "é", "m"] * 2,
        "label": ["ja", "nein", "ja", "nein", "ja", "nein"] * 2,
    }
)


@pytest.fixture(scope="module")
def model(folder) -> Path:
    """A model fitted by the command on a semicolon-separated Latin-1 file with decimal
    commas, as a German spreadsheet writes it."""
    data = folder / "train_de.csv"
    TRAIN.to_csv(data, sep=";", decimal=",", index=False, encoding="latin-1")
    path = folder / "model.joblib"
    code, err, _ = run(
        ["fit", str(data), "--target", "label", "--encoding", "latin-1", "--out", str(path)]
        + FIT_OPTIONS
        + FAST_FAMILY
    )
    assert code == 0, err
    return path


def test_a_german_spreadsheet_file_fits_and_predicts(model, folder):
    data = folder / "new.csv"
    TRAIN.drop(columns="label").to_csv(data, sep=";", decimal=",", index=False, encoding="cp1252")
    code, err, out = run(["predict", str(model), str(data), "--encoding", "cp1252"])
    assert code == 0, err
    assert len(pd.read_csv(io.StringIO(out))) == len(TRAIN)
    import joblib

    fitted = joblib.load(model)
    assert fitted.schema_.numeric == ("größe",)  # the decimal commas were read as numbers


@pytest.mark.slow
def test_a_utf16_tab_file_with_line_breaks_in_fields_fits(folder):
    data = folder / "train_utf16.csv"
    frame = TRAIN.assign(label=TRAIN["größe"] * 2 + 1)  # regression
    data.write_bytes(frame.to_csv(sep="\t", index=False, lineterminator="\r\n").encode("utf-16"))
    path = folder / "utf16.joblib"
    code, err, _ = run(
        ["fit", str(data), "--target", "label", "--out", str(path)] + FIT_OPTIONS + FAST_FAMILY
    )
    assert code == 0, err
    assert "regression on 12 rows x 3 columns" in err
    code, err, out = run(["predict", str(path), str(data)])
    assert code == 0, err
    assert len(pd.read_csv(io.StringIO(out))) == len(frame)


PREDICT_CHANGES = ["same", "reordered", "no_target", "missing_column", "extra_column", "unseen"]


@settings(
    max_examples=40,
    deadline=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    change=st.sampled_from(PREDICT_CHANGES),
    layout=layouts,
    rows=st.lists(st.integers(0, len(TRAIN) - 1), min_size=1, max_size=8),
    seed=st.integers(0, 2**16),
)
def test_predict_gives_one_prediction_per_row_or_names_the_problem(
    model, folder, change, layout, rows, seed
):
    event(change)
    frame = TRAIN.iloc[rows].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    if change == "reordered":
        frame = frame[list(rng.permutation(frame.columns))]
    elif change == "no_target":
        frame = frame.drop(columns="label")
    elif change == "missing_column":
        frame = frame.drop(columns=rng.choice(["größe", "stadt", "note"]))
    elif change == "extra_column":
        frame = frame.assign(extra=1)
    elif change == "unseen":
        frame = frame.assign(stadt="Bern", größe=np.nan)
    decimal = "," if layout.decimal_comma and layout.sep == ";" else "."
    text = frame.to_csv(
        sep=layout.sep,
        decimal=decimal,
        index=False,
        lineterminator=layout.newline,
        quoting=layout.quoting,
    )
    encoding = (
        "utf-8" if layout.encoding == "latin-1" and not layout.name_encoding else layout.encoding
    )
    data = folder / "rows.csv"
    data.write_bytes(text.encode(encoding))
    code, err, out = run(
        [
            "predict",
            str(model),
            str(data),
            "--proba",
            *csv_options(replace(layout, encoding=encoding)),
        ]
    )
    if change in ("missing_column", "extra_column"):
        assert_one_line_error(code, err, "extra" if change == "extra_column" else "missing")
        return
    assert code == 0, err
    predictions = pd.read_csv(io.StringIO(out))
    assert len(predictions) == len(frame)
    assert set(predictions["prediction"]) <= {"ja", "nein"}
    assert np.allclose(predictions[["proba_ja", "proba_nein"]].sum(axis=1), 1.0)
