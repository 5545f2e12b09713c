"""Regenerate the dataset catalog from a datasets folder.

The catalog is metadata only (one row per dataset); the data files themselves never enter the
repo. It is written twice: ``datasets/catalog.csv`` for people browsing the repo, and
``automl/_catalog.csv`` so an installed package can read it through ``importlib.resources``.

Usage::

    python datasets/make_catalog.py [FOLDER]     # FOLDER defaults to $AUTOML_DATASETS
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUTPUTS = (REPO / "datasets" / "catalog.csv", REPO / "automl" / "_catalog.csv")
COLUMNS = [
    "name",
    "task",
    "n_rows",
    "n_features",
    "n_categorical",
    "n_missing_cells",
    "n_classes",
    "openml_id",
    "smoke_test",
    "source",
    "license",
]
# Trivially solved: useful to check that a pipeline runs, useless for comparing methods.
SMOKE_TESTS = {"iris", "penguins"}


def _blank(value: object) -> object:
    """Write None as an empty field so it reads back as missing."""
    return "" if value is None else value


def catalog_rows(folder: Path) -> list[dict[str, object]]:
    """One catalog row per ``<name>.json`` sidecar with its ``<name>.csv.gz`` next to it."""
    rows = []
    for sidecar in sorted(folder.glob("*.json")):
        meta = json.loads(sidecar.read_text())
        name = meta["name"]
        if not (folder / f"{name}.csv.gz").exists():
            continue
        # original_id may come from another catalogue; only an OpenML id is usable by fetch_openml.
        openml_id = meta.get("original_id") if meta.get("original_id_kind") == "openml" else None
        rows.append(
            {
                "name": name,
                "task": meta["task"],
                "n_rows": meta["n_rows"],
                "n_features": meta["n_features"],
                "n_categorical": meta["n_categorical"],
                "n_missing_cells": meta["n_missing_cells"],
                "n_classes": _blank(
                    meta.get("n_classes") if meta["task"] != "regression" else None
                ),
                "openml_id": _blank(openml_id),
                "smoke_test": "true" if name in SMOKE_TESTS else "false",
                "source": meta["source"],
                "license": meta["license"],
            }
        )
    return rows


def write_catalog(rows: list[dict[str, object]], path: Path) -> None:
    """Write rows as CSV with a fixed column order (stable diffs on regeneration)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str]) -> int:
    folder_arg = argv[1] if len(argv) > 1 else os.environ.get("AUTOML_DATASETS")
    if not folder_arg:
        print("usage: make_catalog.py FOLDER   (or set AUTOML_DATASETS)", file=sys.stderr)
        return 2
    rows = catalog_rows(Path(folder_arg))
    if not rows:
        print(f"no <name>.json + <name>.csv.gz pairs found in {folder_arg}", file=sys.stderr)
        return 1
    for path in OUTPUTS:
        write_catalog(rows, path)
        print(f"wrote {len(rows)} datasets to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
