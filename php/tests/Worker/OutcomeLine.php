<?php

declare(strict_types=1);

namespace Driftline\Tests\Worker;

final class OutcomeLine
{
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
