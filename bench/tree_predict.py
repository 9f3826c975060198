"""What one answer of a HistGradientBoosting model costs: scikit-learn against compiled trees.

Run from the repository root:

    .venv/bin/python bench/tree_predict.py [--rounds 7] [--calls 300]

The gradient-boosting models training builds (training/pipeline.py, ``gbm``: the
demo's churn challenger, and the house-price regressor of that kind), fitted on the
synthetic data, each asked for one record at a time, with one OpenMP thread (as a
serving worker runs):

- ``sklearn``: the estimator's own ``predict_proba`` / ``predict`` on the
  preprocessed row (the baseline; what serving did before serving/tree_ensemble.py);
- ``compiled``: serving/tree_ensemble.py's compiled trees on the same row;
- ``preprocess``: serving/fast_path.py's preprocessing of the record alone, for scale.

Per round, ``--calls`` calls of each variant, interleaved; printed: the median over
rounds of the median CPU microseconds per call, and sklearn / compiled. Figures only.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from threadpoolctl import threadpool_limits

from serving.fast_path import compile_classifier, compile_regressor
from serving.tree_ensemble import compile_forest
from training import house_prices, pipeline
from training.dataset import from_frame, load


def per_call_us(call: Callable[[], Any], calls: int) -> float:
    samples = []
    for _ in range(calls):
        started = time.thread_time()
        call()
        samples.append(time.thread_time() - started)
    return statistics.median(samples) * 1e6


def cases() -> dict[str, tuple[Callable[[], Any], Callable[[], Any], Callable[[], Any]]]:
    churn = load(None, None, rows=3000, seed=0)
    classifier = pipeline.build("gbm", churn.numeric, churn.categorical, 0)
    classifier.fit(churn.frame, churn.target)
    fast = compile_classifier(classifier, [*churn.numeric, *churn.categorical])
    houses_frame = house_prices.generate(3000, seed=0)
    houses = from_frame(houses_frame, house_prices.TARGET, source="bench", task="regression")
    regressor = pipeline.build("gbm", houses.numeric, houses.categorical, 0, "regression")
    regressor.fit(houses.frame, houses.target)
    fast_regressor = compile_regressor(regressor, [*houses.numeric, *houses.categorical])
    if fast is None or fast_regressor is None:
        raise SystemExit("the pipelines did not compile: serving/fast_path.py changed")
    churn_record = [{str(k): v for k, v in churn.frame.iloc[0].items()}]
    house_record = [{str(k): v for k, v in houses.frame.iloc[0].items()}]
    x, xr = fast.transform(churn_record).copy(), fast_regressor.transform(house_record).copy()
    forest, forest_regressor = compile_forest(classifier[-1]), compile_forest(regressor[-1])
    if forest is None or forest_regressor is None:
        raise SystemExit("the trees did not compile: serving/tree_ensemble.py refused them")
    return {
        "churn gbm classifier": (
            lambda: classifier[-1].predict_proba(x),
            lambda: forest.predict_proba(x),  # type: ignore[union-attr]
            lambda: fast.transform(churn_record),
        ),
        "house-price gbm regressor": (
            lambda: regressor[-1].predict(xr),
            lambda: forest_regressor.predict(xr),  # type: ignore[union-attr]
            lambda: fast_regressor.transform(house_record),
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    if args.rounds < 1 or args.calls < 1:
        print("--rounds and --calls must be at least 1")
        return 2
    with threadpool_limits(1, user_api="openmp"):
        built = cases()
        measured: dict[str, tuple[list[float], list[float], list[float]]] = {
            name: ([], [], []) for name in built
        }
        for _ in range(args.rounds):
            for name, variants in built.items():
                for samples, call in zip(measured[name], variants, strict=True):
                    samples.append(per_call_us(call, args.calls))
    print(f"CPU us per call, median of {args.rounds} rounds of {args.calls} calls, one record")
    print(f"{'model':28s} {'sklearn':>9s} {'compiled':>9s} {'preprocess':>10s} {'ratio':>7s}")
    for name, (sk, compiled, pre) in measured.items():
        a, b, c = (statistics.median(s) for s in (sk, compiled, pre))
        print(f"{name:28s} {a:9.1f} {b:9.1f} {c:10.1f} {a / b:6.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
