"""Tables as files: CSV (tab-separated, compressed), Parquet and Feather, by extension or named,
and one-line errors naming the file."""

import pandas as pd
import pytest

from automl import tables_io
from automl.tables_io import TableError, read_table, table_format, write_table


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "code": ["007", "012", "120"],
            "x": [1.5, -2.0, 3.25],
            "n": [1, 2, 3],
            "label": pd.Categorical(["a", "b", "a"]),
        }
    )


@pytest.mark.parametrize(
    "name, kind",
    [
        ("t.csv", "csv"),
        ("t.tsv", "csv"),
        ("t.csv.gz", "csv"),
        ("t.TSV.BZ2", "csv"),
        ("t.parquet", "parquet"),
        ("t.pq", "parquet"),
        ("t.feather", "feather"),
        ("t.arrow", "feather"),
    ],
)
def test_round_trip_by_extension(name, kind, frame, tmp_path):
    path = tmp_path / name
    assert write_table(frame, path) == kind
    back = read_table(path, categorical=["code"])
    assert list(back.columns) == list(frame.columns)
    assert back["code"].tolist() == ["007", "012", "120"]  # zeros kept: read as text
    assert back["x"].tolist() == frame["x"].tolist()
    assert back["n"].tolist() == [1, 2, 3]
    if kind != "csv":  # the binary formats keep the types they were written with
        assert isinstance(back["label"].dtype, pd.CategoricalDtype)


def test_tab_separated_is_read_as_columns(frame, tmp_path):
    path = tmp_path / "t.tsv"
    write_table(frame, path)
    assert "\t" in path.read_text().splitlines()[0]
    assert read_table(path).shape == frame.shape


def test_a_named_format_overrides_the_extension(frame, tmp_path):
    path = tmp_path / "table.bin"
    assert write_table(frame, path, "parquet") == "parquet"
    assert read_table(path, "parquet")["n"].tolist() == [1, 2, 3]
    with pytest.raises(TableError, match="cannot tell the format of .*table.bin.*\\.parquet"):
        read_table(path)
    with pytest.raises(TableError, match="unknown table format 'xlsx'; use one of csv"):
        table_format(path, "xlsx")


def test_errors_are_one_line_and_name_the_file(tmp_path):
    with pytest.raises(TableError, match="data file not found: .*missing.csv"):
        read_table(tmp_path / "missing.csv")
    broken = tmp_path / "broken.parquet"
    broken.write_text("not a parquet file\nat all\n")
    with pytest.raises(TableError) as info:
        read_table(broken)
    assert str(info.value).startswith(f"cannot read {broken} as parquet: ")
    assert "\n" not in str(info.value)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(TableError, match="cannot read .*empty.csv as csv"):
        read_table(empty)
    with pytest.raises(TableError, match="cannot write .*no-folder.*as feather"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "no-folder" / "t.feather")


def test_without_pyarrow_the_error_says_what_to_install(frame, tmp_path, monkeypatch):
    path = tmp_path / "t.parquet"
    write_table(frame, path)
    monkeypatch.setattr(tables_io, "_pyarrow_installed", lambda: False)
    with pytest.raises(
        TableError, match=r'parquet files need pyarrow: pip install "automl\[parquet\]"'
    ):
        read_table(path)
    with pytest.raises(TableError, match="feather files need pyarrow"):
        write_table(frame, tmp_path / "t.feather")
    assert read_table(_csv(frame, tmp_path)).shape == frame.shape  # CSV needs no pyarrow


def _csv(frame, folder):
    path = folder / "t.csv"
    write_table(frame, path)
    return path
