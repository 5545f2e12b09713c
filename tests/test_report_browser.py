"""The report in a real browser: headless Chromium (Debian's chromium and chromium-driver,
found at fixed paths; nothing is downloaded) loads it with no console error, makes no network
request, draws every plot with its data points, and sorts the leaderboard on a click."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("plotly")
webdriver = pytest.importorskip("selenium.webdriver")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip(
        "no Chromium here: install Debian's chromium and chromium-driver (.ci/run does)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def report_path(tmp_path_factory) -> Path:
    from automl import AutoMLRegressor
    from automl.report import from_estimator, write_report

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = 3 * X["a"] + rng.normal(scale=0.2, size=300)
    model = AutoMLRegressor(
        time_budget=15, max_trials=8, ensemble_size=5, random_state=0, verbose=0, history=None
    ).fit(X, y)
    path = tmp_path_factory.mktemp("browser") / "report.html"
    return write_report(from_estimator(model, X, y, n_repeats=2), path)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never look for a download
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1300,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_the_report_renders_every_plot_offline(browser, report_path):
    browser.get(report_path.as_uri())
    browser.implicitly_wait(5)
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    requests = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert [r for r in requests if not r.startswith("file:")] == []
    plots = browser.execute_script(
        """
        return Array.from(document.querySelectorAll('[data-plot]')).map(el => ({
            name: el.dataset.plot,
            width: el.getBoundingClientRect().width,
            height: el.getBoundingClientRect().height,
            traces: (el.data || []).length,
            points: (el.calcdata || []).reduce((n, trace) => n + trace.length, 0),
            drawn: el.querySelectorAll('.point, .bars path, .scatterlayer path').length,
        }));
        """
    )
    assert [p["name"] for p in plots] == ["anytime", "scores", "timeline", "importance", "weights"]
    for plot in plots:
        assert plot["width"] > 100 and plot["height"] > 100, plot
        assert plot["traces"] > 0 and plot["points"] > 0, plot
        assert plot["drawn"] > 0, plot


def test_the_leaderboard_sorts_on_a_click(browser, report_path):
    from selenium.webdriver.common.by import By

    browser.get(report_path.as_uri())
    headers = browser.find_elements(By.CSS_SELECTOR, "#leaderboard th")
    trial_column = [h.text for h in headers].index("trial_id")

    def column_values() -> list[float]:
        return browser.execute_script(
            "return Array.from(document.querySelectorAll('#leaderboard tbody tr'))"
            f".map(r => parseFloat(r.cells[{trial_column}].dataset.value))"
        )

    headers[trial_column].click()
    ascending = column_values()
    assert ascending == sorted(ascending) and len(ascending) > 1
    headers[trial_column].click()
    assert column_values() == sorted(ascending, reverse=True)
