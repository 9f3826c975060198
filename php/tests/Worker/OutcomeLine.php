<?php

declare(strict_types=1);

namespace Driftline\Tests\Worker;

final class OutcomeLine
{
    /** The figures of a regression model's promotion (driftline/retrain_contract.py). */
    public const REGRESSION_FIGURES = [
        'metric' => 'mae', 'better' => 'lower', 'margin_kind' => 'relative',
        'challenger_score' => 23706.195163, 'champion_score' => 49473.447774, 'margin' => 0.01,
        'challenger_mean_error' => -8488.08, 'champion_mean_error' => -49200.38,
    ];

    private function __construct()
    {
    }

    /** @param array<string, mixed> $overrides */
    public static function json(array $overrides = []): string
    {
        return json_encode($overrides + [
            'schema' => 'driftline.retrain-outcome',
            'schema_version' => 1,
            'status' => 'promoted',
            'model' => 'churn',
            'job_id' => '1',
            'challenger_version' => '4',
            'champion_before' => '3',
            'champion_after' => '4',
            'figures' => ['challenger_score' => 0.91, 'champion_score' => 0.88, 'margin' => 0.03, 'metric' => 'roc_auc'],
            'message' => 'challenger beat champion by 0.03',
        ], JSON_THROW_ON_ERROR);
    }
}
