"""Reading a CSV file the way its author wrote it: its text encoding and separator are found
from its first bytes, and rows whose field count differs from the header's are an error naming
the line, where pandas alone would pad them with missing values or silently shift a column
into the index.

Problems are ``ValueError``s with a one-line message (``tables_io`` adds the file's name).
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import lzma
import re
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd

SEPARATORS = (",", ";", "\t", "|")  # the ones told apart automatically, in order of preference
_SAMPLE_BYTES = 64 * 1024
_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# First bytes of files that are often given a .csv name by mistake.
_BINARY_SIGNATURES = (
    (b"PAR1", "a Parquet file (read it with --format parquet)"),
    (b"ARROW1", "a Feather/Arrow file (read it with --format feather)"),
    (b"PK\x03\x04", "a ZIP archive or an Excel workbook (save the sheet as CSV)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (save the sheet as CSV)"),
)
_ENCODING_HINT = "give its encoding with --encoding, for example latin-1 or cp1252"
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+([eE][+-]?\d+)?$")
_DECIMAL_POINT = re.compile(r"^[+-]?\d*\.\d+([eE][+-]?\d+)?$")
_MANGLED = re.compile(r"\.\d+$")  # pandas renames a repeated column "a" to "a.1"


@dataclass(frozen=True)
class CsvLayout:
    """How a CSV file's text is written."""

    encoding: str
    sep: str
    decimal: str = "."


def read_csv_file(
    file: Path,
    *,
    categorical: Sequence[str] = (),
    sep: str | None = None,
    encoding: str | None = None,
    default_sep: str = ",",
) -> pd.DataFrame:
    """Read ``file`` (maybe compressed) with the given or detected encoding and separator."""
    layout = detect_layout(file, sep=sep, encoding=encoding, default_sep=default_sep)
    dtype = {column: str for column in categorical}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # index_col=False: pandas would otherwise make the first fields the index when the
            # first row is longer than the header, shifting every column by one
            frame = pd.read_csv(
                file,
                sep=layout.sep,
                encoding=layout.encoding,
                decimal=layout.decimal,
                dtype=dtype or None,
                index_col=False,
            )
        except UnicodeDecodeError as error:
            problem = _decoding_problem(error, layout.encoding, encoding is None)
            raise ValueError(problem) from error
        except pd.errors.ParserError:
            _check_field_counts(file, layout)  # names the line in words, if it finds it
            raise
    long_rows = False
    for warning in caught:
        if issubclass(warning.category, pd.errors.ParserWarning):
            long_rows = True  # pandas dropped fields past the header's width
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    if long_rows or (frame.shape[1] and frame.iloc[:, -1].isna().any()):
        _check_field_counts(file, layout)  # short rows are padded with missing values
        if long_rows:
            raise ValueError("some of its rows have more fields than its header")
    if any(_MANGLED.search(str(name)) for name in frame.columns):
        _check_unique_names(file, layout)
    return frame


def detect_layout(
    file: Path, *, sep: str | None = None, encoding: str | None = None, default_sep: str = ","
) -> CsvLayout:
    """The encoding (the named one, else from a byte-order mark, else UTF-8) and the separator
    (the named one, else the one of ``SEPARATORS`` that splits the first rows evenly)."""
    if sep is not None:
        check_separator(sep)
    if encoding is not None:
        check_encoding(encoding)
    with _open_bytes(file) as stream:
        try:
            sample = stream.read(_SAMPLE_BYTES + 1)
        except (EOFError, lzma.LZMAError, zipfile.BadZipFile) as error:
            raise ValueError(f"it is not a valid {file.suffix} file: {error}") from error
    complete = len(sample) <= _SAMPLE_BYTES
    sample = sample[:_SAMPLE_BYTES]
    for signature, what in _BINARY_SIGNATURES:
        if sample.startswith(signature):
            raise ValueError(f"it is {what}, not CSV text")
    if encoding is None:
        encoding = next((name for bom, name in _BOMS if sample.startswith(bom)), "utf-8")
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
    except UnicodeDecodeError as error:
        raise ValueError(_decoding_problem(error, encoding, guessed=True)) from error
    if "\x00" in text:
        raise ValueError(
            f"it holds NUL characters, so it is not {encoding} text: a binary file, or text "
            "in another encoding (UTF-16 without a byte-order mark? try --encoding utf-16-le)"
        )
    if not text.strip():
        raise ValueError("it is empty: no header row")
    if sep is None:
        sep = _guess_separator(text, complete, default_sep)
    return CsvLayout(encoding, sep, _guess_decimal(text, sep))


def check_separator(sep: str) -> None:
    if not isinstance(sep, str) or len(sep) != 1 or sep in '"\r\n':
        raise ValueError(
            f"the separator must be one character other than a quote or a line break, not {sep!r}"
        )


def parse_separator(text: str) -> str:
    """A separator as typed on a command line: one character, or 'tab' (also a typed \\t)."""
    sep = "\t" if text.lower() in ("tab", "\\t") else text
    check_separator(sep)
    return sep


def check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"unknown text encoding {encoding!r}") from None


def _guess_separator(text: str, complete: bool, default_sep: str) -> str:
    """The separator giving the header at least two fields and the most rows of the header's
    width; ties go to the earlier one (the default first)."""
    candidates = [default_sep] + [s for s in SEPARATORS if s != default_sep]
    best, best_score = default_sep, (-1.0, 0)
    for candidate in candidates:
        try:
            records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=candidate)]
        except csv.Error:
            continue
        records = [r for r in (records if complete else records[:-1]) if not _blank(r)]
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        rows = records[1:]
        agreement = sum(len(r) == width for r in rows) / len(rows) if rows else 1.0
        if (agreement, width) > best_score:
            best, best_score = candidate, (agreement, width)
    return best


def _guess_decimal(text: str, sep: str) -> str:
    """A comma when the rows of a semicolon-separated sample write numbers as 1,5 and never as
    1.5 (the European spreadsheet convention); else a point."""
    if sep != ";":
        return "."
    try:
        records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=sep)]
    except csv.Error:
        return "."
    rows = [r for r in records if not _blank(r)][1:]  # not the header: names are not numbers
    fields = [f.strip() for r in rows for f in r]
    commas = sum(bool(_DECIMAL_COMMA.match(f)) for f in fields)
    points = sum(bool(_DECIMAL_POINT.match(f)) for f in fields)
    return "," if commas and not points else "."


def _check_field_counts(file: Path, layout: CsvLayout) -> None:
    """Raise if a row's field count differs from the header's, naming the first such line."""
    with _open_text(file, layout.encoding) as text:
        reader = csv.reader(text, delimiter=layout.sep)
        width = None
        while True:
            line = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise ValueError(f"line {line}: {error}") from error
            if _blank(record):
                continue
            if width is None:
                width = len(record)
            elif len(record) < width or any(record[width:]):
                # pandas keeps a row whose extra trailing fields are empty
                fields = f"{len(record)} field" + ("" if len(record) == 1 else "s")
                if any("\n" in field or "\r" in field for field in record):
                    fields += " (a quoted field there spans lines: is a quote left open?)"
                raise ValueError(
                    f"line {line} has {fields} but the header has {width} "
                    f"(separator {layout.sep!r}); every row needs one field per column, "
                    "and a field holding the separator must be quoted"
                )


def _check_unique_names(file: Path, layout: CsvLayout) -> None:
    header = pd.read_csv(
        file,
        sep=layout.sep,
        encoding=layout.encoding,
        header=None,
        nrows=1,
        dtype=str,
        na_filter=False,
    ).iloc[0]
    seen: set[str] = set()
    repeated = [name for name in header if name and (name in seen or seen.add(name))]
    if repeated:
        names = ", ".join(map(repr, dict.fromkeys(repeated)))
        raise ValueError(f"its header names a column twice: {names}; column names must be unique")


def _blank(record: list[str]) -> bool:
    # pandas skips empty lines and lines of spaces, but not a quoted empty field ('""')
    return not record or (len(record) == 1 and record[0] != "" and not record[0].strip())


def _decoding_problem(error: UnicodeDecodeError, encoding: str, guessed: bool) -> str:
    byte = error.object[error.start : error.start + 1]
    where = f"byte 0x{byte.hex()}" if byte else "its bytes"
    hint = f"; {_ENCODING_HINT}" if guessed else ""
    return f"it is not {encoding} text ({where} cannot be decoded: {error.reason}){hint}"


@contextmanager
def _open_bytes(file: Path) -> Iterator[BinaryIO]:
    """The file's bytes, decompressed as pandas would by its extension."""
    suffix = file.suffix.lower()
    if suffix == ".zip":
        try:
            archive = zipfile.ZipFile(file)
        except zipfile.BadZipFile as error:
            raise ValueError(f"it is not a valid .zip file: {error}") from error
        with archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
            if not members:
                raise ValueError("the ZIP archive holds no file")
            with archive.open(members[0]) as stream:
                yield stream
        return
    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(suffix, open)
    with opener(file, "rb") as stream:
        yield stream


@contextmanager
def _open_text(file: Path, encoding: str) -> Iterator[io.TextIOWrapper]:
    with _open_bytes(file) as stream:
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        try:
            yield text
        finally:
            text.detach()  # the stream is closed by its own context
