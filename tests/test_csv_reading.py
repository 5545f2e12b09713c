"""CSV files as people write them: separators and encodings found from the first bytes, and
malformed files (ragged rows, repeated names, empty or binary files) refused in one line that
names the problem. Each case here was read wrongly or unclearly before."""

import gzip

import pandas as pd
import pytest

from automl.csv_reading import detect_layout, parse_separator
from automl.tables_io import TableError, read_table


def write(tmp_path, data: bytes, name: str = "t.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_the_separator_is_found_from_the_first_rows(sep, tmp_path):
    text = sep.join(["a", "b", "y"]) + "\n" + sep.join(["1", "x y", "0"]) + "\n"
    frame = read_table(write(tmp_path, text.encode()))
    assert list(frame.columns) == ["a", "b", "y"]
    assert frame.iloc[0].tolist() == [1, "x y", 0]


def test_a_named_separator_wins_over_the_guess(tmp_path):
    path = write(tmp_path, b"a;b,c\n1;2,3\n")  # both split it evenly: the comma is the guess
    assert list(read_table(path).columns) == ["a;b", "c"]
    assert list(read_table(path, sep=";").columns) == ["a", "b,c"]


def test_semicolon_files_with_decimal_commas_give_numbers(tmp_path):
    frame = read_table(write(tmp_path, b"a;b;y\n1,5;-0,25;x\n2;6,1e-05;z\n"))
    assert frame["a"].tolist() == [1.5, 2.0]
    assert frame["b"].tolist() == [-0.25, 6.1e-05]
    # with a decimal point anywhere, commas stay text
    frame = read_table(write(tmp_path, b"a;b\n1,5;2.5\n", "p.csv"))
    assert frame["a"].tolist() == ["1,5"] and frame["b"].tolist() == [2.5]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_a_byte_order_mark_names_the_encoding(encoding, tmp_path):
    text = "name,y\nZoë,1\n名前,2\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    frame = read_table(write(tmp_path, data))
    assert list(frame.columns) == ["name", "y"]
    assert frame["name"].tolist() == ["Zoë", "名前"]


def test_text_that_is_not_utf8_is_an_error_naming_the_encoding(tmp_path):
    path = write(tmp_path, "ville,y\nZürich,1\n".encode("latin-1"))
    with pytest.raises(TableError, match=r"not utf-8 text \(byte 0xfc.*--encoding.*latin-1"):
        read_table(path)
    assert read_table(path, encoding="latin-1")["ville"].tolist() == ["Zürich"]


def test_a_bad_byte_past_the_first_rows_is_the_same_error(tmp_path):
    data = b"a,y\n" + b"1,2\n" * 40_000 + "é,3\n".encode("latin-1")
    with pytest.raises(TableError, match=r"not utf-8 text \(byte 0xe9.*--encoding"):
        read_table(write(tmp_path, data))


def test_utf16_without_a_byte_order_mark_is_named(tmp_path):
    path = write(tmp_path, "a,y\n1,2\n".encode("utf-16-le"))
    with pytest.raises(TableError, match="NUL characters.*--encoding utf-16-le"):
        read_table(path)
    assert read_table(path, encoding="utf-16-le")["a"].tolist() == [1]


def test_an_unknown_encoding_is_named(tmp_path):
    with pytest.raises(TableError, match="unknown text encoding 'klingon'"):
        read_table(write(tmp_path, b"a,y\n1,2\n"), encoding="klingon")


@pytest.mark.parametrize(
    "data, line, fields",
    [
        (b"a,b,y\n1,2,0\n3,4,1,9\n5,6,0\n", 3, "4 fields"),  # one long row
        (b"a,b,y\n1,2,0,7\n3,4,1,9\n", 2, "4 fields"),  # all long: pandas made it the index
        (b"a,b,y\n1,2,0\n3,4\n5,6,0\n", 3, "2 fields"),  # short: pandas padded it
        (b'a,b,y\n"x\ny",2\n"p",3,1\n', 2, "2 fields"),  # a short row holding a line break
        (b'a,b,y\n"x,2,0\n1,2,3\n', 2, r"1 field \(a quoted field there spans lines"),
    ],
)
def test_a_row_of_another_width_is_an_error_naming_its_line(data, line, fields, tmp_path):
    with pytest.raises(TableError, match=f"line {line} has {fields}.* header has 3") as info:
        read_table(write(tmp_path, data))
    assert "\n" not in str(info.value)


def test_an_unquoted_carriage_return_in_a_field_is_a_ragged_row(tmp_path):
    # Python's csv.writer leaves "v\r" unquoted under "\n" line endings; pandas split the row
    # in two half rows of missing values
    with pytest.raises(TableError, match="line 3 has 1 field but the header has 2"):
        read_table(write(tmp_path, b"x,y\nu,p\nv\r,q\nw,p\n"))


def test_empty_trailing_fields_and_missing_values_are_kept(tmp_path):
    # a separator at the end of every row is a common export style, not a ragged row
    frame = read_table(write(tmp_path, b"a,b,y\n1,2,0,\n3,4,1,\n"))
    assert frame.to_numpy().tolist() == [[1, 2, 0], [3, 4, 1]]
    frame = read_table(write(tmp_path, b"a,b,y\n1,,\n3,4,\n", "m.csv"))
    assert frame.shape == (2, 3) and frame["y"].isna().all()


def test_ragged_rows_in_a_compressed_file_are_found(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(b"a;b;y\n1;2;0\n3;4\n"))
    with pytest.raises(TableError, match="line 3 has 2 fields"):
        read_table(path)


def test_a_repeated_column_name_is_an_error(tmp_path):
    with pytest.raises(TableError, match="names a column twice: 'a'"):
        read_table(write(tmp_path, b"a,b,a,y\n1,2,3,0\n"))
    # a real column named like pandas' renaming is fine
    assert list(read_table(write(tmp_path, b"a,a.1\n1,2\n", "ok.csv")).columns) == ["a", "a.1"]


@pytest.mark.parametrize("data", [b"", b"\n\n", b"  \r\n"])
def test_an_empty_file_is_named_empty(data, tmp_path):
    with pytest.raises(TableError, match="t.csv as csv: it is empty"):
        read_table(write(tmp_path, data))


def test_a_header_alone_is_a_table_without_rows(tmp_path):
    frame = read_table(write(tmp_path, b"a;b;y\n"))
    assert list(frame.columns) == ["a", "b", "y"] and len(frame) == 0


def test_a_binary_file_named_csv_says_what_it_is(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    with pytest.raises(TableError, match="it is a Parquet file .*--format parquet"):
        read_table(write(tmp_path, path.read_bytes()))
    with pytest.raises(TableError, match="Excel workbook"):
        read_table(write(tmp_path, b"PK\x03\x04" + b"\x00" * 40, "x.csv"))


def test_quoted_fields_keep_separators_and_line_breaks(tmp_path):
    frame = read_table(write(tmp_path, b'a|y\n"x|\ny ""q"""|1\nz|2\n'))
    assert frame["a"].tolist() == ['x|\ny "q"', "z"]


def test_sep_and_encoding_are_for_csv_only(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    with pytest.raises(TableError, match="applies to CSV files, not to parquet"):
        read_table(path, sep=";")


def test_separators_as_typed_on_a_command_line():
    assert parse_separator("tab") == parse_separator("\\t") == "\t"
    assert parse_separator(";") == ";"
    for bad in ["", ";;", '"', "\n"]:
        with pytest.raises(ValueError, match="one character"):
            parse_separator(bad)


def test_layout_of_a_file(tmp_path):
    layout = detect_layout(write(tmp_path, "a\tb\n1,5\t2\n".encode("utf-8-sig")))
    assert (layout.encoding, layout.sep, layout.decimal) == ("utf-8-sig", "\t", ".")
