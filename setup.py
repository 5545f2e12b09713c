"""The run-time dependencies, here and not in pyproject.toml because one of them is chosen when
the package is installed: XGBoost's full build (the default) or its CPU-only build.

``pip install .`` installs ``xgboost``, whose Linux x86_64 wheel brings NVIDIA's NCCL library
for multi-GPU training. ``AUTOML_XGBOOST=cpu pip install .`` installs ``xgboost-cpu`` instead:
the same ``xgboost`` module without CUDA, a fraction of the size. The CPU build is not the
default because both builds install into one ``xgboost`` folder: depending on it would
overwrite the GPU build of an environment that has one, and uninstalling either then removes
the files of both.
"""

import os

from setuptools import setup

XGBOOST_BUILDS = {
    "full": ["xgboost>=2.0"],
    # xgboost-cpu has no macOS wheel; XGBoost on macOS has no CUDA anyway
    "cpu": [
        'xgboost-cpu>=2.0; platform_system != "Darwin"',
        'xgboost>=2.0; platform_system == "Darwin"',
    ],
}

DEPENDENCIES = [
    # below 1.11: it removes SVC(probability=True), deprecated in 1.9, on which the svm
    # family's probabilities and their fast numpy path (svm_prediction.FastSVC) rest
    "scikit-learn>=1.6,<1.11",
    "lightgbm>=4.0",
    "numpy>=1.24",
    "pandas>=2.0",
    "joblib>=1.3",
    "ConfigSpace>=1.0",
    "psutil>=5.9",
    "threadpoolctl>=3.1",
    "SQLAlchemy>=2.0",
    "scipy>=1.10",
]


def xgboost_requirements() -> list[str]:
    build = os.environ.get("AUTOML_XGBOOST", "").strip().lower() or "full"
    if build not in XGBOOST_BUILDS:
        raise SystemExit(
            f"AUTOML_XGBOOST={build!r} is not understood: use 'cpu' (CPU-only XGBoost) or "
            "'full' (the default)."
        )
    return XGBOOST_BUILDS[build]


setup(install_requires=DEPENDENCIES + xgboost_requirements())
