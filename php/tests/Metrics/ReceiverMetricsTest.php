<?php

declare(strict_types=1);

namespace Driftline\Tests\Metrics;

use Driftline\Metrics\ReceiverMetrics;
use PHPUnit\Framework\TestCase;

/** @covers \Driftline\Metrics\ReceiverMetrics */
final class ReceiverMetricsTest extends TestCase
{
    public function testRendersTheGoldenExposition(): void
    {
        $text = ReceiverMetrics::render(
            ['queued' => 3, 'duplicate' => 97, 'unauthorized' => 1],
            ['queued' => 1, 'running' => 0, 'succeeded' => 2, 'failed' => 1],
            12.25,
        );

        self::assertStringEqualsFile(__DIR__ . '/receiver_metrics.golden.txt', $text);
    }

    public function testNoDurationSampleBeforeTheFirstFinishedJobAndUnknownLabelsAreDropped(): void
    {
        $text = ReceiverMetrics::render(['made_up' => 5], [], null);

        self::assertStringNotContainsString('made_up', $text);
        self::assertStringContainsString("driftline_webhooks_total{outcome=\"queued\"} 0\n", $text);
        self::assertStringEndsWith("# TYPE driftline_retrain_last_job_duration_seconds gauge\n", $text);
    }
}
