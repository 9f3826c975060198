<?php

declare(strict_types=1);

namespace Driftline\Contract;

/**
 * PHP's copy of the names the Python side defines; tests/php/test_contract.py
 * checks every constant here against its Python source of truth:
 * driftline/alert_contract.py, driftline/retrain_contract.py, driftline/tasks.py,
 * driftline/registry_contract.py and driftline/metric_catalog.py.
 */
final class SharedContract
{
    // driftline/alert_contract.py
    public const RETRAIN_LABEL = 'retrain';
    public const RETRAIN_VALUE = 'true';
    public const MODEL_LABEL = 'model';
    public const VERSION_LABEL = 'version';
    public const FEATURE_LABEL = 'feature';
    public const SEVERITY_LABEL = 'severity';
    public const WEBHOOK_PAYLOAD_VERSION = '4';
    public const WEBHOOK_PATH = '/alerts';
    public const WEBHOOK_TOKEN_FILE_ENV = 'DRIFTLINE_WEBHOOK_TOKEN_FILE';

    // driftline/retrain_contract.py
    public const OUTCOME_SCHEMA = 'driftline.retrain-outcome';
    public const OUTCOME_SCHEMA_VERSION = 1;
    public const OUTCOME_STATUSES = ['promoted', 'rejected', 'failed'];
    public const OUTCOME_BETTER = ['higher', 'lower'];
    public const OUTCOME_MARGIN_KINDS = ['absolute', 'relative'];
    /** task => the figure the gate judges a challenger by, which way it improves, how its margin is read */
    public const GATE_METRICS = [
        'classification' => ['name' => 'accuracy', 'better' => 'higher', 'margin_kind' => 'absolute'],
        'regression' => ['name' => 'mae', 'better' => 'lower', 'margin_kind' => 'relative'],
    ];

    // driftline/tasks.py
    public const TASK_PARAM = 'task';
    public const DEFAULT_TASK = 'classification';

    // driftline/registry_contract.py
    public const CHAMPION_ALIAS = 'champion';
    public const CHALLENGER_ALIAS = 'challenger';
    public const CHAMPION_HISTORY_TAG = 'driftline.champion_history';
    public const PROMOTION_DECISION_TAG = 'driftline.promotion';

    // driftline/config.py
    public const DEFAULT_MODEL_NAME = 'churn';

    // driftline/metric_catalog.py (component "receiver")
    public const METRIC_WEBHOOKS = 'driftline_webhooks_total';
    public const METRIC_JOBS = 'driftline_retrain_jobs';
    public const METRIC_LAST_JOB_DURATION = 'driftline_retrain_last_job_duration_seconds';
    public const WEBHOOK_OUTCOMES = [
        'queued', 'duplicate', 'cooldown', 'resolved', 'ignored', 'unauthorized', 'rejected',
    ];
    public const JOB_STATES = ['queued', 'running', 'succeeded', 'failed'];

    private function __construct()
    {
    }
}
