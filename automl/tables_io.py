"""Reading and writing tables as files: CSV (any common separator and encoding, also
compressed), Parquet and Feather, told apart by the file's extension or named outright.

Every failure is a ``TableError`` of one line that names the file and the problem, so the
command line can print it as it is.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from automl.csv_reading import read_csv_file

FORMATS = ("csv", "parquet", "feather")

# Extensions and their formats; CSV may be compressed (pandas infers the compression).
_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".feather": "feather",
    ".arrow": "feather",
}
_COMPRESSIONS = (".gz", ".bz2", ".xz", ".zip")
_NEEDS_PYARROW = ("parquet", "feather")
PYARROW_HINT = 'pip install "automl[parquet]"'


class TableError(ValueError):
    """A table that cannot be read or written; the message is one line naming the file."""


def supported_extensions() -> list[str]:
    """The extensions whose format is known, as written in error messages."""
    plain = list(_EXTENSIONS)
    return plain + [f"{text}{packed}" for text in (".csv", ".tsv") for packed in _COMPRESSIONS]


def table_format(path: str | Path, format: str | None = None) -> str:
    """The format of ``path``: ``format`` if given (checked), else from the extension."""
    if format is not None:
        if format not in FORMATS:
            raise TableError(f"unknown table format {format!r}; use one of {', '.join(FORMATS)}.")
        return format
    suffixes = [s.lower() for s in Path(path).suffixes]
    if len(suffixes) >= 2 and suffixes[-1] in _COMPRESSIONS and suffixes[-2] in (".csv", ".tsv"):
        return "csv"
    if suffixes and suffixes[-1] in _EXTENSIONS:
        return _EXTENSIONS[suffixes[-1]]
    raise TableError(
        f"cannot tell the format of {path} from its extension; supported: "
        f"{', '.join(supported_extensions())} (or name the format: {', '.join(FORMATS)})."
    )


def read_table(
    path: str | Path,
    format: str | None = None,
    categorical: Sequence[str] = (),
    *,
    sep: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read ``path`` as a DataFrame.

    ``categorical`` columns are read as text from a CSV, so that codes such as "007" keep
    their zeros; Parquet and Feather keep the types they were written with. A CSV's
    ``sep`` and ``encoding`` are found from its first bytes unless named (see
    ``automl.csv_reading``).
    """
    file = Path(path)
    if not file.is_file():
        raise TableError(f"data file not found: {path}")
    kind = table_format(path, format)
    _require_pyarrow(kind)
    if kind != "csv" and (sep is not None or encoding is not None):
        raise TableError(f"a separator or encoding applies to CSV files, not to {kind}: {path}")
    try:
        if kind == "csv":
            return read_csv_file(
                file,
                categorical=categorical,
                sep=sep,
                encoding=encoding,
                default_sep=_separator(file),
            )
        if kind == "parquet":
            return pd.read_parquet(file)
        return pd.read_feather(file)
    except (OSError, ValueError) as error:  # parser, decoding, Arrow errors are among these
        raise TableError(f"cannot read {path} as {kind}: {_one_line(error)}") from error


def write_table(frame: pd.DataFrame, path: str | Path, format: str | None = None) -> str:
    """Write ``frame`` (without its index) to ``path``; returns the format written."""
    kind = table_format(path, format)
    _require_pyarrow(kind)
    file = Path(path)
    try:
        if kind == "csv":
            frame.to_csv(file, sep=_separator(file), index=False)
        elif kind == "parquet":
            frame.to_parquet(file, index=False)
        else:
            frame.reset_index(drop=True).to_feather(file)
    except (OSError, ValueError) as error:
        raise TableError(f"cannot write {path} as {kind}: {_one_line(error)}") from error
    return kind


def _separator(file: Path) -> str:
    return "\t" if ".tsv" in [s.lower() for s in file.suffixes] else ","


def _pyarrow_installed() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


def _require_pyarrow(kind: str) -> None:
    if kind in _NEEDS_PYARROW and not _pyarrow_installed():
        raise TableError(f"{kind} files need pyarrow: {PYARROW_HINT}")


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
