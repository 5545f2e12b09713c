"""What evaluating on at most N rows costs the metabase: full-row against subsampled results.

Usage (from the repo root; reads two metabase folders, no data)::

    python -m benchmarks.metabase_rescoping --full OLD_DIR --subsampled NEW_DIR

The first metabase evaluated every configuration on all the rows of the shared datasets,
resampled as a search would; the rescoped one (``--eval-rows``) evaluates data over that many
rows on a subsample and a holdout. On the shared datasets larger than the subsample, for the
configurations both hold (the cold start's, at least), this compares per dataset:

- the Spearman rank correlation of the configurations' losses (does the cheap table order
  configurations as the full one does?);
- whether the best configuration is the same, and what the full table's loss of the cheap
  table's best is, normalized between the full table's best (0) and worst (1);
- the median ratio of run times (full / subsampled).

Writes ``benchmarks/METABASE_RESCOPING.md``.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd

from automl.space import PipelineSpace
from automl.warm_start import ConfigMismatch, complete_config
from benchmarks import common
from metalearning.metabase import Metabase, config_id, load_metabase

TABLE = common.BENCHMARKS / "METABASE_RESCOPING.md"


def current_ids(metabase: Metabase) -> dict[str, str]:
    """Stored id -> the id of the same configuration completed in today's space (a metabase
    written for an older space stores ids of its shorter configurations)."""
    out = {}
    spaces = {t: PipelineSpace(t, 1000) for t in ("binary", "regression")}
    for cid, entry in metabase.configurations.items():
        task = "regression" if entry["task_group"] == "regression" else "binary"
        try:
            config = complete_config(entry["config"], spaces[task])
        except ConfigMismatch:
            continue
        out[cid] = config_id(config, entry["task_group"])
    return out


def losses_by_current_id(metabase: Metabase, dataset: str, ids: dict[str, str]) -> pd.DataFrame:
    perf = metabase.performance[metabase.performance["dataset"] == dataset].copy()
    perf["cid"] = perf["config_id"].map(ids)
    perf = perf[perf["cid"].notna() & (perf["status"] == "ok")]
    return perf.drop_duplicates("cid").set_index("cid")[["loss", "duration"]]


def compare(full: Metabase, cheap: Metabase, rows: int) -> pd.DataFrame:
    out = []
    full_ids, cheap_ids = current_ids(full), current_ids(cheap)
    for dataset in sorted(set(full.datasets) & set(cheap.datasets)):
        n_rows = float(cheap.metafeatures.at[dataset, "n_rows"])
        if n_rows <= rows:
            continue
        a = losses_by_current_id(full, dataset, full_ids)
        b = losses_by_current_id(cheap, dataset, cheap_ids)
        common_ids = sorted(set(a.index) & set(b.index))
        if len(common_ids) < 3:
            continue
        a, b = a.loc[common_ids], b.loc[common_ids]
        rho = a["loss"].rank().corr(b["loss"].rank())
        low, high = a["loss"].min(), a["loss"].max()
        picked = b["loss"].idxmin()
        regret = (a.at[picked, "loss"] - low) / (high - low) if high > low else 0.0
        out.append(
            {
                "dataset": dataset,
                "task": cheap.metafeatures.at[dataset, "task"],
                "rows": int(n_rows),
                "configurations": len(common_ids),
                "spearman": rho,
                "same best": bool(picked == a["loss"].idxmin()),
                "full-table loss of the cheap best (0 best, 1 worst)": regret,
                "time ratio full/cheap": float(np.median(a["duration"] / b["duration"])),
            }
        )
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.metabase_rescoping", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--full", required=True, help="metabase evaluated on all rows")
    parser.add_argument("--subsampled", required=True, help="metabase built with --eval-rows")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    full, cheap = load_metabase(args.full), load_metabase(args.subsampled)
    if not cheap.eval_rows:
        raise SystemExit(f"{args.subsampled} was built on all rows (no --eval-rows)")
    table = compare(full, cheap, cheap.eval_rows)
    if table.empty:
        raise SystemExit("no shared dataset larger than the subsample in both metabases")
    summary = pd.DataFrame(
        [
            {
                "datasets": len(table),
                "median spearman": table["spearman"].median(),
                "mean spearman": table["spearman"].mean(),
                "same best": f"{int(table['same best'].sum())}/{len(table)}",
                "mean full-table loss of the cheap best": table[
                    "full-table loss of the cheap best (0 best, 1 worst)"
                ].mean(),
                "median time ratio": table["time ratio full/cheap"].median(),
            }
        ]
    )
    text = "\n".join(
        [
            f"# The metabase on at most {cheap.eval_rows:,} rows against all rows",
            "",
            "Generated by `python -m benchmarks.metabase_rescoping --full OLD --subsampled "
            f"NEW`: the shared datasets over {cheap.eval_rows:,} rows, the configurations both "
            "metabases evaluated (see the script's docstring).",
            "",
            common.markdown(summary),
            "",
            common.markdown(table),
            "",
        ]
    )
    print(text)
    if not args.no_write:
        TABLE.write_text(text)


if __name__ == "__main__":
    main()
