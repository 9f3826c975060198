<?php

declare(strict_types=1);

namespace Driftline\Tests\Webhook;

use Driftline\Queue\JobResult;
use Driftline\Tests\Queue\QueueFixture;
use Driftline\Webhook\AlertIntake;
use Driftline\Webhook\IntakeResult;
use Driftline\Webhook\NotificationRetention;
use Driftline\Webhook\PayloadParser;
use Driftline\Webhook\WebhookLog;
use PHPUnit\Framework\TestCase;

/**
 * One receiver for a stack of two models (churn and houses, docs/compose.md): a storm of one
 * model's alerts never queues a job for the other, and cool-downs are kept per model.
 *
 * @covers \Driftline\Webhook\AlertIntake
 * @covers \Driftline\Queue\JobQueue
 */
final class TwoModelsIntakeTest extends TestCase
{
    private QueueFixture $fixture;
    private AlertIntake $intake;

    protected function setUp(): void
    {
        $this->fixture = QueueFixture::create(cooldownSeconds: 600);
        $log = WebhookLog::on($this->fixture->pdo(), $this->fixture->clock(), NotificationRetention::of(0));
        $this->intake = AlertIntake::with($this->fixture->queue(), $log);
    }

    protected function tearDown(): void
    {
        $this->fixture->remove();
    }

    /** @param list<array<string, mixed>> $alerts */
    private function receive(array $alerts): IntakeResult
    {
        $body = PayloadFixture::json(PayloadFixture::notification($alerts, 'firing'));
        return $this->intake->receive(PayloadParser::create()->parse($body), $body);
    }

    /** @return list<string> */
    private function queuedModels(): array
    {
        return array_map(static fn ($job): string => $job->model(), $this->fixture->queue()->list());
    }

    public function testAStormOfOneModelsAlertsQueuesOneJobForThatModelOnly(): void
    {
        for ($i = 0; $i < 20; $i++) {
            $this->receive([PayloadFixture::alert('DriftlineModelAccuracyLow', 'churn'), PayloadFixture::alert('DriftlineFeatureDrift', 'churn')]);
        }

        self::assertSame(['churn'], $this->queuedModels());
    }

    public function testOneModelsCooldownLeavesTheOtherFreeToRetrain(): void
    {
        $this->receive([PayloadFixture::alert('DriftlineModelAccuracyLow', 'churn')]);
        $job = $this->fixture->queue()->claimNext('w1');
        self::assertNotNull($job);
        $this->fixture->queue()->finish($job->id(), 'w1', JobResult::succeeded(0, '', null, '3', 'promoted'));
        $this->fixture->clock()->advance('+60 seconds');

        $churnAgain = $this->receive([PayloadFixture::alert('DriftlineModelAccuracyLow', 'churn')]);
        $houses = $this->receive([PayloadFixture::alert('DriftlineModelErrorHigh', 'houses')]);

        self::assertSame('cooldown', $churnAgain->outcome());
        self::assertSame(['queued', 202], [$houses->outcome(), $houses->httpStatus()]);
        self::assertSame(['houses', 'churn'], $this->queuedModels());
    }
}
