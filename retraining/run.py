"""One retraining job: build the data, train a challenger, judge it, maybe promote it.

Nothing served changes unless the gate promotes: the challenger is registered
as a new version either way (so its figures stay inspectable), but only
``registry.promote`` moves ``champion``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from driftline import registry, version_facts
from driftline.config import Settings
from driftline.loaded_model import load_registered
from driftline.mlflow_setup import connect
from driftline.registry_contract import RUN_TAG_ALERTS, RUN_TAG_JOB_ID, RUN_TAG_TRIGGER
from driftline.retrain_contract import (
    FIGURE_BETTER,
    FIGURE_CHALLENGER_ESTIMATOR,
    FIGURE_MARGIN_KIND,
    FIGURE_METRIC,
    GATE_METRICS,
    RetrainOutcome,
    Status,
    make_outcome,
)
from predictionlog.store import PredictionStore
from retraining import challenger as challenger_estimator
from retraining.data_mix import MixPolicy, NotEnoughData, mix
from retraining.gate import decide
from retraining.labels import BadLabels, training_targets
from training.dataset import DatasetError, coerce_features, from_frame
from training.train import TrainOptions, answer_metrics, fit_and_log, holdout_metrics
from training.version_artifacts import read_training_table


@dataclass(frozen=True)
class RetrainRequest:
    job_id: str | None = None
    reason: str = ""  # free text or JSON from the webhook (alert names, values)
    alerts: tuple[str, ...] = ()
    # How far back recent labelled predictions count. By the time the accuracy alert
    # has held for its `for:`, the last 20 minutes are traffic of the new population;
    # reaching further back mixes in the old rule the challenger should unlearn.
    window_seconds: float = 1200.0
    # Classifier: accuracy points to gain; regression: the share of MAE to remove
    # (retraining/gate.py).
    margin: float = 0.01
    model_kind: str | None = None  # default: the champion's kind
    policy: MixPolicy = field(default_factory=MixPolicy)


def _outcome(
    settings: Settings, request: RetrainRequest, status: Status, **fields: Any
) -> RetrainOutcome:
    return make_outcome(status, settings.model_name, request.job_id, **fields)


def retrain(settings: Settings, request: RetrainRequest) -> RetrainOutcome:
    """Train a challenger for the champion of ``settings.model_name`` and let the gate
    judge it; what the champion is (task, target, features, estimator, where its training
    table is) comes from its version's facts, trained here or adopted
    (driftline/version_facts.py)."""
    client = connect(settings)
    champion = registry.champion_version(client, settings.model_name)
    if champion is None:
        return _outcome(settings, request, "failed", message="no champion to retrain from")
    try:
        facts = version_facts.require(client, settings.model_name, champion)
    except version_facts.FactsError as exc:
        return _outcome(settings, request, "failed", champion_before=champion,
                        champion_after=champion, message=str(exc))  # fmt: skip
    task = facts.task
    champion_model = load_registered(
        settings.tracking_uri, settings.registry_uri, settings.model_name, champion
    )
    try:
        chosen = challenger_estimator.choose(
            request.model_kind, facts, champion, champion_model.estimator
        )
    except ValueError as exc:
        return _outcome(settings, request, "failed", champion_before=champion,
                        champion_after=champion, message=str(exc))  # fmt: skip
    gate = GATE_METRICS[task]
    target = facts.target
    numeric, categorical = list(facts.numeric), list(facts.categorical)
    original = read_training_table(client, facts.run_id)
    # A champion trained with a time column stored it in its table (training/train.py).
    time_column = facts.time_column
    if time_column not in original.columns:
        time_column = None
    features = [c for c in original.columns if c != time_column]

    store = PredictionStore.open(settings.prediction_db_url)
    try:
        recent = store.labelled_predictions(
            settings.model_name, since=time.time() - request.window_seconds
        )
    finally:
        store.close()
    recent = recent.rename(columns={"label": target})
    figures: dict[str, float | int | str] = {
        FIGURE_METRIC: gate.name,
        FIGURE_BETTER: gate.better,
        FIGURE_MARGIN_KIND: gate.margin_kind,
        FIGURE_CHALLENGER_ESTIMATOR: chosen.describe,
        "recent_rows": len(recent),
    }
    try:
        if len(recent):
            recent[target] = training_targets(
                recent[target], recent["prediction_id"], task=task, like=original[target]
            )
        dataset = mix(
            original,
            recent.reindex(columns=[*features, "created_at"]),
            target=target,
            time_column="created_at",
            policy=request.policy,
            task=task,
            original_time_column=time_column,
        )
    except BadLabels as exc:
        # Bad data, not a decision: the job fails, nothing is trained or changed.
        return _outcome(
            settings,
            request,
            status="failed",
            champion_before=champion,
            champion_after=champion,
            figures=figures,
            message=f"not retrained: {exc}",
        )
    except NotEnoughData as exc:
        return _outcome(
            settings,
            request,
            status="rejected",
            champion_before=champion,
            champion_after=champion,
            figures=figures,
            message=f"not retrained: {exc}",
        )
    figures.update(
        training_rows=len(dataset.train),
        original_rows=dataset.original_rows,
        recent_train_rows=dataset.recent_train_rows,
        holdout_rows=len(dataset.holdout),
    )
    try:
        train_set = from_frame(
            dataset.train,
            target,
            source=f"retraining job {request.job_id or '-'}",
            numeric=numeric,
            categorical=categorical,
            task=task,
            boolean=facts.boolean,
        )
    except DatasetError as exc:
        return _outcome(settings, request, "failed", champion_before=champion,
                        champion_after=champion, figures=figures,
                        message=f"not retrained: {exc}")  # fmt: skip
    holdout_x = coerce_features(dataset.holdout.drop(columns=[target]), numeric, categorical)
    holdout_y = dataset.holdout[target]
    tags = {
        RUN_TAG_TRIGGER: "alert" if request.alerts else "manual",
        RUN_TAG_JOB_ID: request.job_id or "",
        RUN_TAG_ALERTS: ",".join(request.alerts),
        "driftline.reason": request.reason[:4000],
    }
    result, challenger = fit_and_log(
        settings,
        train_set,
        TrainOptions(
            model_kind=chosen.kind if chosen.estimator is None else None,
            estimator=chosen.estimator,
            seed=request.policy.seed,
            promote=False,
            run_tags=tags,
            run_name=f"retrain-{request.job_id}" if request.job_id else "retrain",
        ),
        evaluate_on=(holdout_x, holdout_y),
        extra_params={"champion_version": champion, "window_seconds": request.window_seconds},
    )
    challenger_figures = holdout_metrics(challenger, holdout_x, holdout_y)
    # The champion through its own flavor: an adopted one need not be scikit-learn.
    champion_figures = answer_metrics(
        task,
        holdout_y,
        champion_model.predict_values(holdout_x),
        classes=champion_model.classes or (),
        probabilities=champion_model.predict_proba(holdout_x),
    )
    challenger_score = challenger_figures[gate.name]
    champion_score = champion_figures[gate.name]
    decision = decide(challenger_score, champion_score, request.margin, gate)
    figures.update(
        challenger_score=round(challenger_score, 6),
        champion_score=round(champion_score, 6),
        margin=request.margin,
    )
    if task == "regression":
        # The other error figures beside the gate's, e.g. the bias (mean_error) that
        # shows a stale price model under-predicting.
        figures.update(_both("challenger", challenger_figures, gate.name))
        figures.update(_both("champion", champion_figures, gate.name))
    status: Status
    if decision.promote:
        registry.promote(client, settings.model_name, result.version)
        after = result.version
        status = "promoted"
    else:
        registry.reject(client, settings.model_name, result.version, dict(figures))
        after = champion
        status = "rejected"
    return _outcome(
        settings,
        request,
        status=status,
        challenger_version=result.version,
        champion_before=champion,
        champion_after=after,
        figures=figures,
        message=f"{decision.reason}; challenger: {chosen.describe}",
    )


def _both(who: str, values: dict[str, float], skip: str) -> dict[str, float | int | str]:
    return {f"{who}_{k}": round(v, 6) for k, v in values.items() if k != skip}


def outcome_line(outcome: RetrainOutcome) -> str:
    return json.dumps(outcome, allow_nan=False, sort_keys=True)
