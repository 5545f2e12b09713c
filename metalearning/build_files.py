"""The metabase build's files: the candidates, the evaluations, the assembled metabase, the
record of what the build cost (``build.json``) and the log of its runs (``runs.csv``)."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.space import SPACE_VERSION
from metalearning.metabase import Metabase, config_id, task_group

DEFAULTS_ORIGIN = "(starting configuration)"  # trivially solved: they would only add noise


class RunLog:
    """One row per build run in ``runs.csv``, its wall time brought up to date after every
    finished piece of work: a run that is killed still counts what it spent."""

    def __init__(self, path: Path, cores: int) -> None:
        self.path, self.cores = path, cores
        self.started = time.time()
        self.earlier = pd.read_csv(path) if path.is_file() else None
        self.touch()

    def touch(self) -> None:
        row = pd.DataFrame(
            [
                {
                    "started": datetime.fromtimestamp(self.started, timezone.utc).isoformat(
                        timespec="seconds"
                    ),
                    "wall_seconds": round(time.time() - self.started, 1),
                    "cores": self.cores,
                }
            ]
        )
        table = row if self.earlier is None else pd.concat([self.earlier, row])
        partial = self.path.with_suffix(".partial")
        table.to_csv(partial, index=False)
        partial.replace(self.path)


def read_evaluations(out: Path, names: Sequence[str]) -> pd.DataFrame:
    frames = [
        pd.read_csv(out / "evaluations" / f"{n}.csv", dtype={"config_id": str})
        for n in sorted(names)
        if (out / "evaluations" / f"{n}.csv").is_file()
    ]
    if not frames:
        return pd.DataFrame(columns=["dataset", "config_id", "loss", "duration", "status"])
    return pd.concat(frames, ignore_index=True)


def candidates_from(searches: dict[str, dict]) -> dict[str, dict[str, Any]]:
    """The union of every dataset's best configurations, by content id, within task groups,
    plus the search's own starting configurations (the low-cost LightGBM and each family's
    default): the warm start then knows how those do too and can order everything by
    expected gain per second. They are marked found on ``DEFAULTS_ORIGIN``, so leaving a
    dataset out never removes them."""
    from automl.space import PipelineSpace

    candidates: dict[str, dict[str, Any]] = {}
    for task in sorted({s["task"] for s in searches.values()}):
        group = task_group(task)
        space = PipelineSpace(task, 1000)  # a size at which every family is offered
        for config in space.cold_start_configs():
            candidates.setdefault(
                config_id(config, group),
                {"config": config, "task_group": group, "found_on": [DEFAULTS_ORIGIN]},
            )
    for name, search in sorted(searches.items()):
        group = task_group(search["task"])
        for found in search["configs"]:
            cid = config_id(found["config"], group)
            entry = candidates.setdefault(
                cid, {"config": found["config"], "task_group": group, "found_on": []}
            )
            entry["found_on"].append(name)
    return candidates


def write_candidates(out: Path, candidates: dict[str, dict[str, Any]]) -> None:
    with open(out / "candidates.json", "w") as f:
        json.dump(candidates, f, indent=1, sort_keys=True)


def assemble(out: Path, searches: dict[str, dict], candidates: dict[str, dict]) -> Metabase:
    from automl.metafeatures import metafeature_names

    rows = []
    for name, search in sorted(searches.items()):
        row = {"task": search["task"]}
        row.update(
            {k: search["metafeatures"].get(k, np.nan) for k in metafeature_names(search["task"])}
        )
        rows.append(pd.Series(row, name=name))
    metafeatures = pd.DataFrame(rows)
    metafeatures.index.name = "dataset"
    performance = read_evaluations(out, list(searches))
    performance = performance[performance["config_id"].isin(candidates)]
    return Metabase(metafeatures, candidates, performance.reset_index(drop=True), SPACE_VERSION)


def write_build_record(
    out: Path, args: argparse.Namespace, datasets: Path | None, parameters: Sequence[str]
) -> None:
    from automl.space import PipelineSpace
    from automl.versions import library_versions

    searches = [json.loads(p.read_text()) for p in sorted((out / "searches").glob("*.json"))]

    evaluations = [pd.read_csv(p) for p in sorted((out / "evaluations").glob("*.csv"))]
    eval_seconds = float(sum(e["duration"].sum() for e in evaluations))
    search_seconds = float(sum(s["seconds"] for s in searches))
    record = {
        "built": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "automl metabase build",
        "parameters": {k: getattr(args, k) for k in parameters},
        "datasets_folder": str(datasets or ""),
        "tasks": str(args.tasks),
        "space_version": SPACE_VERSION,
        "library_versions": library_versions(),
        # the families this build could measure: one missing here (an optional family not
        # installed) is missing from the metabase, and a warm start cannot bring it early
        "families": {
            group: PipelineSpace(task, 1000).family_names
            for group, task in (("classification", "binary"), ("regression", "regression"))
        },
        "datasets": len(searches),
        "searched": sum(s.get("searched", True) for s in searches),
        "search_trials": int(sum(s["n_trials"] for s in searches)),
        "search_seconds": round(search_seconds, 1),
        "evaluations": int(sum(len(e) for e in evaluations)),
        "evaluation_seconds": round(eval_seconds, 1),
        "compute_core_hours": round((search_seconds + eval_seconds) / 3600, 2),
    }
    runs = out / "runs.csv"
    if runs.is_file():  # the process start-ups and the waits too, over every run so far
        table = pd.read_csv(runs)
        record["runs"] = len(table)
        record["wall_core_hours"] = round(
            float((table["wall_seconds"] * table["cores"]).sum()) / 3600, 2
        )
    (out / "build.json").write_text(json.dumps(record, indent=1) + "\n")
