<?php

declare(strict_types=1);

namespace Driftline\Tests\Dashboard;

use DateTimeImmutable;
use Driftline\Dashboard\DashboardData;
use Driftline\Dashboard\DashboardPage;
use Driftline\Queue\JobResult;
use Driftline\Tests\Queue\QueueFixture;
use Driftline\Tests\Worker\OutcomeLine;
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
            [['run_id' => 'r1', 'name' => '"><img src=x onerror=alert(1)>', 'status' => 'FINISHED', 'started' => 1764158400000, 'metric' => 0.875, 'metric_name' => 'accuracy', 'better' => 'higher']],
            ['<b>m</b>' => [['version' => '2', 'status' => 'READY', 'run_id' => 'r1', 'created' => null, 'aliases' => ['champion'], 'promotion' => 'promoted']]],
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
        self::assertStringNotContainsString('<b>m</b>', $html);
    }

    public function testListsEveryModelWithItsChampionAndChallenger(): void
    {
        $version = static fn (string $n, array $aliases): array => ['version' => $n, 'status' => 'READY', 'run_id' => "r{$n}", 'created' => null, 'aliases' => $aliases, 'promotion' => null];
        $data = DashboardData::of('churn', 'accuracy', 'http://127.0.0.1:5000', null, [], [
            'churn' => [$version('3', ['challenger']), $version('2', ['champion']), $version('1', [])],
            'houses' => [$version('1', ['champion'])],
            'price model' => [],
        ], [], []);

        $html = DashboardPage::render($data, new DateTimeImmutable('2026-11-26T12:00:00Z'));

        self::assertStringContainsString('<tr><td><a href="#versions-churn"><code>churn</code></a></td><td>2</td><td>3</td><td>3</td></tr>', $html);
        self::assertStringContainsString('<tr><td><a href="#versions-houses"><code>houses</code></a></td><td>1</td><td>—</td><td>1</td></tr>', $html);
        self::assertStringContainsString('<table id="versions-churn">', $html);
        self::assertStringContainsString('<table id="versions-houses">', $html);
        self::assertMatchesRegularExpression('/href="#versions-price-model-[0-9a-f]{6}"/', $html);
        self::assertStringContainsString('Default model <code>churn</code>', $html);
    }

    public function testSaysSoWhenMlflowIsUnavailable(): void
    {
        $data = DashboardData::of('churn', 'accuracy', 'http://127.0.0.1:1', 'MLflow at http://127.0.0.1:1 is unreachable: refused', [], [], [], []);

        $html = DashboardPage::render($data, new DateTimeImmutable('2026-11-26T12:00:00Z'));

        self::assertStringContainsString('MLflow unavailable.', $html);
        self::assertStringContainsString('No runs to show.', $html);
    }

    public function testAJobRowShowsTheMetricTheGateUsed(): void
    {
        $fixture = QueueFixture::create();
        try {
            $queue = $fixture->queue();
            $houses = (int) $queue->enqueue('houses', ['alertnames' => ['DriftlineModelErrorHigh']])->jobId();
            $queue->claimNext('w');
            $outcome = json_decode(OutcomeLine::json(['model' => 'houses', 'figures' => OutcomeLine::REGRESSION_FIGURES]), true);
            self::assertIsArray($outcome);
            $queue->finish($houses, 'w', JobResult::succeeded(0, '', $outcome, '4', 'promoted'));
            $data = DashboardData::of('houses', 'accuracy', null, 'not set', [], [], $queue->list(null, 20), $queue->countsByState());

            $html = DashboardPage::render($data, new DateTimeImmutable('2026-11-26T12:00:00Z'));
        } finally {
            $fixture->remove();
        }

        self::assertStringContainsString('<th>Gate</th>', $html);
        self::assertStringContainsString(
            '<td class="gate">mae: challenger 23706.2, champion 49473.4 (lower is better, margin 1% of champion&apos;s)</td>',
            $html,
        );
    }

    public function testRegressionRunsShowTheirErrorAsANumberNotABar(): void
    {
        $runs = [
            ['run_id' => 'r2', 'name' => 'retrain-7', 'status' => 'FINISHED', 'started' => null, 'metric' => 23706.195, 'metric_name' => 'mae', 'better' => 'lower'],
            ['run_id' => 'r1', 'name' => 'houses', 'status' => 'FINISHED', 'started' => null, 'metric' => 17686.99, 'metric_name' => 'mae', 'better' => 'lower'],
        ];
        $data = DashboardData::of('houses', 'accuracy', 'http://127.0.0.1:5000', null, $runs, [], [], []);

        $html = DashboardPage::render($data, new DateTimeImmutable('2026-11-26T12:00:00Z'));

        self::assertStringContainsString('<th>mae</th>', $html);
        self::assertStringContainsString('<span class="error-figure" title="lower is better">23706.2</span>', $html);
        self::assertStringNotContainsString('progressbar', $html);
    }

    public function testRunsOfBothTasksNameTheirMetricInEachCell(): void
    {
        $runs = [
            ['run_id' => 'r2', 'name' => 'houses', 'status' => 'FINISHED', 'started' => null, 'metric' => 17686.99, 'metric_name' => 'mae', 'better' => 'lower'],
            ['run_id' => 'r1', 'name' => 'churn', 'status' => 'FINISHED', 'started' => null, 'metric' => 0.8, 'metric_name' => 'accuracy', 'better' => 'higher'],
        ];
        $data = DashboardData::of('churn', 'accuracy', 'http://127.0.0.1:5000', null, $runs, [], [], []);

        $html = DashboardPage::render($data, new DateTimeImmutable('2026-11-26T12:00:00Z'));

        self::assertStringContainsString('<th>metric</th>', $html);
        self::assertStringContainsString('<code>mae</code> <span class="error-figure"', $html);
        self::assertStringContainsString('<code>accuracy</code> <span class="bar"', $html);
    }

    public function testARunShowsTheConfiguredMetricElseItsTasksGateMetric(): void
    {
        self::assertSame(['accuracy', 'higher'], DashboardData::runMetric('accuracy', ['accuracy' => 0.8, 'f1' => 0.7], 'classification'));
        self::assertSame(['f1', 'higher'], DashboardData::runMetric('f1', ['accuracy' => 0.8, 'f1' => 0.7], 'classification'));
        self::assertSame(['mae', 'lower'], DashboardData::runMetric('accuracy', ['mae' => 1.0, 'rmse' => 2.0], 'regression'));
        self::assertSame(['mae', 'lower'], DashboardData::runMetric('mae', ['mae' => 1.0], 'regression'));
        self::assertSame(['accuracy', 'higher'], DashboardData::runMetric('accuracy', [], 'ranking'));
    }
}
