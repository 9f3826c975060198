"""What the exporter's cycle computes for a regression version with a 100k labelled window.

    .venv/bin/python bench/exporter_regression.py [--window 100000] [--repeats 30]

A ridge price model (training/pipeline.py) is fitted on synthetic house prices
(training/house_prices.py) and profiled as training does (reference/profile.py).
A window of ``--window`` predictions of that model on inflated prices, every one
labelled, fills the exporter's VersionWindow as the engine fills it. Timed, over
``--repeats`` runs: the cycle's computation for the version (window counts, every
feature's PSI/KS/missing share, the predicted values' PSI and KS, the error
figures, the verdict) and, as the baseline in the same run, scikit-learn's and
SciPy's own calls for the error figures and the predicted values' KS test alone.
Figures only; no pass/fail (the issue's target: under 20 ms per cycle).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import numpy as np
from scipy import stats
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error

from driftline.regression_values import value_text
from exporter.evaluate import evaluate
from exporter.prepared import prepare
from exporter.records import LoggedPrediction
from exporter.settings import ExporterConfig
from exporter.window import VersionWindow
from exporter.window_counts import from_window
from reference.profile import build_regression_profile
from training import house_prices, pipeline
from training.regression_metrics import regression_errors


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--window", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()

    features = [*house_prices.NUMERIC_FEATURES, *house_prices.CATEGORICAL_FEATURES]
    train = house_prices.generate(20_000, seed=1)
    holdout = house_prices.generate(5_000, seed=2)
    model = pipeline.build(
        "ridge",
        house_prices.NUMERIC_FEATURES,
        house_prices.CATEGORICAL_FEATURES,
        task="regression",
    )
    model.fit(train[features], train[house_prices.TARGET])
    predicted = model.predict(holdout[features])
    truth = holdout[house_prices.TARGET].to_numpy()
    profile = build_regression_profile(
        model_name="houses",
        features=train[features],
        numeric=house_prices.NUMERIC_FEATURES,
        categorical=house_prices.CATEGORICAL_FEATURES,
        target=house_prices.TARGET,
        target_values=train[house_prices.TARGET],
        holdout_predictions=list(predicted),
        holdout_errors=regression_errors(truth, predicted),
        created_at=time.time(),
    )
    prepared = prepare("houses", "1", "run", profile)

    live = house_prices.generate(args.window, seed=3, scenario="inflation", t=1.0)
    live_predicted = model.predict(live[features])
    live_truth = live[house_prices.TARGET].to_numpy()
    records = live[features].astype(object).where(live[features].notna(), None)
    now = time.time()
    rows = [
        LoggedPrediction(
            seq=i + 1,
            prediction_id=str(uuid.uuid4()),
            created_at=now,
            model="houses",
            version="1",
            features={str(k): v for k, v in record.items()},
            predicted_class=value_text(live_predicted[i]),
            probabilities={},
        )
        for i, record in enumerate(records.to_dict(orient="records"))
    ]
    window = VersionWindow(prepared, args.window)
    window.add(rows)
    for row, price in zip(rows, live_truth, strict=True):
        window.label(row.prediction_id, value_text(price), now)
    config = ExporterConfig(window_size=args.window, label_window_size=args.window)

    cycle: list[float] = []
    baseline: list[float] = []
    result = None
    for _ in range(args.repeats):
        started = time.perf_counter()
        counts = from_window(prepared, window.window(window.select(args.window, None)))
        labelled = window.labelled(window.select(args.window, None, labelled=True))
        result = evaluate(prepared, counts, labelled, window.last_label_at, config)
        cycle.append(time.perf_counter() - started)

        started = time.perf_counter()
        mean_absolute_error(live_truth, live_predicted)
        root_mean_squared_error(live_truth, live_predicted)
        r2_score(live_truth, live_predicted)
        float(np.mean(live_predicted - live_truth))
        stats.ks_2samp(live_predicted, np.asarray(profile.predicted_values.sample))  # type: ignore[union-attr]
        baseline.append(time.perf_counter() - started)

    assert result is not None and result.regression_errors is not None
    ours, theirs = statistics.median(cycle) * 1e3, statistics.median(baseline) * 1e3
    print(
        f"regression version, {args.window:,} labelled predictions, {len(features)} features, "
        f"median of {args.repeats} runs"
    )
    print(f"  exporter cycle computation (every figure and the verdict): {ours:7.2f} ms "
          "(target < 20 ms)")  # fmt: skip
    print(f"  scikit-learn error figures + SciPy KS of the predictions:  {theirs:7.2f} ms "
          f"(the exporter's whole cycle takes {ours / theirs:.2f}x this)")  # fmt: skip
    print(
        f"  window: MAE {result.regression_errors.mean_absolute_error:,.0f} against the holdout's "
        f"{result.holdout_mean_absolute_error:,.0f}, prediction drift {result.prediction_drift}"
    )


if __name__ == "__main__":
    main()
