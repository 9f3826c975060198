<?php

declare(strict_types=1);

namespace Driftline\Tests\Webhook;

/** Realistic Alertmanager v4 notifications for tests. */
final class PayloadFixture
{
    private function __construct()
    {
    }

    /**
     * @param list<array<string, mixed>> $alerts
     * @return array<string, mixed>
     */
    public static function notification(array $alerts, string $status = 'firing'): array
    {
        return [
            'receiver' => 'driftline-retrain',
            'status' => $status,
            'alerts' => $alerts,
            'groupLabels' => ['model' => 'churn'],
            'commonLabels' => ['model' => 'churn', 'retrain' => 'true'],
            'commonAnnotations' => new \stdClass(),
            'externalURL' => 'http://127.0.0.1:9093',
            'version' => '4',
            'groupKey' => '{}/{retrain="true"}:{model="churn"}',
            'truncatedAlerts' => 0,
        ];
    }

    /** @return array<string, mixed> */
    public static function alert(string $name = 'DriftlineFeatureDrift', string $model = 'churn', string $status = 'firing', bool $retrain = true): array
    {
        $labels = ['alertname' => $name, 'model' => $model, 'severity' => 'warning', 'feature' => 'tenure_months'];
        if ($retrain) {
            $labels['retrain'] = 'true';
        }
        return [
            'status' => $status,
            'labels' => $labels,
            'annotations' => ['summary' => 'A feature drifted.', 'description' => 'PSI of tenure_months is 0.31'],
            'startsAt' => '2026-11-26T10:00:00.123456789Z',
            'endsAt' => $status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-11-26T11:00:00Z',
            'generatorURL' => 'http://127.0.0.1:9090/graph?g0.expr=x',
            'fingerprint' => substr(hash('sha256', $name . $model), 0, 16),
        ];
    }

    /** @param array<string, mixed> $payload */
    public static function json(array $payload): string
    {
        return json_encode($payload, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
    }
}
