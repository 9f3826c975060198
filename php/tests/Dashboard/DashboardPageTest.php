<?php

declare(strict_types=1);

namespace Driftline\Tests\Dashboard;

use DateTimeImmutable;
use Driftline\Dashboard\DashboardData;
use Driftline\Dashboard\DashboardPage;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Driftline\Dashboard\DashboardPage
 * @covers \Driftline\Dashboard\DashboardData
 */
final class DashboardPageTest extends TestCase
{
    public function testEscapesEverythingItShows(): void
    {
        $data = DashboardData::of(
            '<script>alert(1)</script>',
            'accuracy',
            'http://127.0.0.1:5000',
            null,
            [['run_id' => 'r1', 'name' => '"><img src=x onerror=alert(1)>', 'status' => 'FINISHED', 'started' => 1764158400000, 'metric' => 0.875]],
            [['version' => '2', 'status' => 'READY', 'run_id' => 'r1', 'created' => null, 'aliases' => ['champion'], 'promotion' => 'promoted']],
            [],
            ['queued' => 0, 'running' => 0, 'succeeded' => 0, 'failed' => 0],
        );

        $html = DashboardPage::render($data, new DateTimeImmutable('2026-11-26T12:00:00Z'));

        self::assertStringNotContainsString('<script>alert', $html);
        self::assertStringNotContainsString('<img', $html);
        self::assertStringContainsString('&lt;script&gt;', $html);
        self::assertStringContainsString('aria-valuenow="0.8750"', $html);
        self::assertStringContainsString('style="width:87.5%"', $html);
        self::assertStringContainsString('<span class="alias champion">champion</span>', $html);
    }

    public function testSaysSoWhenMlflowIsUnavailable(): void
    {
        $data = DashboardData::of('churn', 'accuracy', 'http://127.0.0.1:1', 'MLflow at http://127.0.0.1:1 is unreachable: refused', [], [], [], []);

        $html = DashboardPage::render($data, new DateTimeImmutable('2026-11-26T12:00:00Z'));

        self::assertStringContainsString('MLflow unavailable.', $html);
        self::assertStringContainsString('No runs to show.', $html);
    }
}
