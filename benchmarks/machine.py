"""What ran a benchmark: the machine and the versions of the libraries, for a table's header."""

from __future__ import annotations

import importlib.metadata
import os
import platform


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def library_versions() -> list[tuple[str, str]]:
    # The imported package (this checkout, run with `python -m`), not the installed metadata.
    try:
        import automl

        automl_version = getattr(automl, "__version__", None) or _version("automl")
    except Exception:  # noqa: BLE001
        automl_version = "not importable"
    out = [("python", platform.python_version()), ("automl", automl_version)]
    for dist in (
        "scikit-learn",
        "lightgbm",
        "xgboost",
        "catboost",
        "pandas",
        "numpy",
        "psutil",
        "flaml",
    ):
        out.append((dist, _version(dist)))
    return out


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    nproc = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = nproc
    try:
        import psutil

        ram = f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM"
    except Exception:  # noqa: BLE001
        ram = "RAM unknown"
    procs = f"nproc {nproc}" + (f" ({usable} usable)" if usable != nproc else "")
    return f"{cpu}; {procs}; {ram}; {platform.system()} {platform.release()}"
