<?php

declare(strict_types=1);

namespace Driftline\Metrics;

use Driftline\Contract\SharedContract;

/**
 * Renders the receiver's metrics in the Prometheus text format (0.0.4).
 * Pure: takes the figures, returns the text. Emits, label values sorted:
 *
 *   # HELP driftline_webhooks_total Alertmanager notifications received, by outcome.
 *   # TYPE driftline_webhooks_total counter
 *   driftline_webhooks_total{outcome="cooldown"} 0
 *   # HELP driftline_retrain_jobs Retraining jobs by state.
 *   # TYPE driftline_retrain_jobs gauge
 *   driftline_retrain_jobs{state="failed"} 0
 *   # HELP driftline_retrain_last_job_duration_seconds Duration of the last finished retraining job.
 *   # TYPE driftline_retrain_last_job_duration_seconds gauge
 *   driftline_retrain_last_job_duration_seconds 12.5   (no sample before the first finished job)
 */
final class ReceiverMetrics
{
    public const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

    // The catalog's help texts (driftline/metric_catalog.py); the contract test compares them.
    public const HELP = [
        SharedContract::METRIC_WEBHOOKS => 'Alertmanager notifications received, by outcome.',
        SharedContract::METRIC_JOBS => 'Retraining jobs by state.',
        SharedContract::METRIC_LAST_JOB_DURATION => 'Duration of the last finished retraining job.',
    ];

    private function __construct()
    {
    }

    /**
     * @param array<string, int> $webhookOutcomes
     * @param array<string, int> $jobStates
     */
    public static function render(array $webhookOutcomes, array $jobStates, ?float $lastJobDuration): string
    {
        $lines = [];
        self::family($lines, SharedContract::METRIC_WEBHOOKS, 'counter', 'outcome', SharedContract::WEBHOOK_OUTCOMES, $webhookOutcomes);
        self::family($lines, SharedContract::METRIC_JOBS, 'gauge', 'state', SharedContract::JOB_STATES, $jobStates);
        $name = SharedContract::METRIC_LAST_JOB_DURATION;
        $lines[] = "# HELP {$name} " . self::HELP[$name];
        $lines[] = "# TYPE {$name} gauge";
        if ($lastJobDuration !== null) {
            $lines[] = $name . ' ' . self::number($lastJobDuration);
        }
        return implode("\n", $lines) . "\n";
    }

    /**
     * Only the catalog's label values are exposed, each one even at zero, so
     * a rate() over them never starts from a missing series.
     *
     * @param list<string> $lines
     * @param list<string> $allowed
     * @param array<string, int> $values
     */
    private static function family(array &$lines, string $name, string $type, string $label, array $allowed, array $values): void
    {
        $lines[] = "# HELP {$name} " . self::HELP[$name];
        $lines[] = "# TYPE {$name} {$type}";
        $sorted = $allowed;
        sort($sorted, SORT_STRING);
        foreach ($sorted as $value) {
            $lines[] = sprintf('%s{%s="%s"} %d', $name, $label, $value, $values[$value] ?? 0);
        }
    }

    private static function number(float $value): string
    {
        $text = rtrim(rtrim(sprintf('%.6F', $value), '0'), '.');
        return $text === '' || $text === '-0' ? '0' : $text;
    }
}
