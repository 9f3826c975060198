<?php

declare(strict_types=1);

namespace Driftline\Tests\Webhook;

use Driftline\Queue\JobState;
use Driftline\Queue\JobResult;
use Driftline\Tests\Queue\QueueFixture;
use Driftline\Webhook\AlertIntake;
use Driftline\Webhook\PayloadParser;
use Driftline\Webhook\NotificationRetention;
use Driftline\Webhook\WebhookLog;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Driftline\Webhook\AlertIntake
 * @covers \Driftline\Webhook\IntakeResult
 * @covers \Driftline\Webhook\WebhookLog
 * @covers \Driftline\Queue\JobQueue
 */
final class AlertIntakeTest extends TestCase
{
    private QueueFixture $fixture;
    private AlertIntake $intake;
    private WebhookLog $log;

    protected function setUp(): void
    {
        $this->fixture = QueueFixture::create(cooldownSeconds: 600);
        $this->log = WebhookLog::on($this->fixture->pdo(), $this->fixture->clock(), NotificationRetention::of(0));
        $this->intake = AlertIntake::with($this->fixture->queue(), $this->log);
    }

    protected function tearDown(): void
    {
        $this->fixture->remove();
    }

    /** @param list<array<string, mixed>> $alerts */
    private function receive(array $alerts, string $status = 'firing'): \Driftline\Webhook\IntakeResult
    {
        $body = PayloadFixture::json(PayloadFixture::notification($alerts, $status));
        return $this->intake->receive(PayloadParser::create()->parse($body), $body);
    }

    public function testSeveralAlertsForOneModelMakeOneJobWithAllAlertNames(): void
    {
        $result = $this->receive([PayloadFixture::alert('DriftlineFeatureDrift'), PayloadFixture::alert('DriftlineAccuracyDrop')]);

        self::assertSame('queued', $result->outcome());
        self::assertSame(202, $result->httpStatus());
        $jobs = $this->fixture->queue()->list();
        self::assertCount(1, $jobs);
        self::assertSame('churn', $jobs[0]->model());
        self::assertSame(['DriftlineAccuracyDrop', 'DriftlineFeatureDrift'], $jobs[0]->reason()['alertnames']);
    }

    public function testARepeatedNotificationIsADuplicateWhileTheJobIsQueuedOrRunning(): void
    {
        $this->receive([PayloadFixture::alert()]);
        $again = $this->receive([PayloadFixture::alert()]);
        $this->fixture->queue()->claimNext('w1');
        $whileRunning = $this->receive([PayloadFixture::alert()]);

        self::assertSame(['duplicate', 200], [$again->outcome(), $again->httpStatus()]);
        self::assertSame('duplicate', $whileRunning->outcome());
        self::assertCount(1, $this->fixture->queue()->list());
        self::assertSame(2, $this->log->outcomeCounts()['duplicate']);
        self::assertSame(1, $this->log->outcomeCounts()['queued']);
    }

    public function testCooldownAfterAFinishedJobThenANewJobOnceItIsOver(): void
    {
        $this->receive([PayloadFixture::alert()]);
        $job = $this->fixture->queue()->claimNext('w1');
        self::assertNotNull($job);
        $this->fixture->queue()->finish($job->id(), 'w1', JobResult::succeeded(0, '', null, '5', 'rejected'));

        $this->fixture->clock()->advance('+599 seconds');
        $during = $this->receive([PayloadFixture::alert()]);
        $this->fixture->clock()->advance('+1 second');
        $after = $this->receive([PayloadFixture::alert()]);

        self::assertSame(['cooldown', 200], [$during->outcome(), $during->httpStatus()]);
        self::assertSame(['queued', 202], [$after->outcome(), $after->httpStatus()]);
        self::assertSame([JobState::Queued, JobState::Succeeded], array_map(static fn ($j) => $j->state(), $this->fixture->queue()->list()));
    }

    public function testResolvedAndNonRetrainNotificationsAreRecordedButQueueNothing(): void
    {
        $resolved = $this->receive([PayloadFixture::alert('DriftlineFeatureDrift', 'churn', 'resolved')], 'resolved');
        $ignored = $this->receive([PayloadFixture::alert('DriftlineLatency', 'churn', 'firing', false)]);

        self::assertSame(['resolved', 200], [$resolved->outcome(), $resolved->httpStatus()]);
        self::assertSame(['ignored', 200], [$ignored->outcome(), $ignored->httpStatus()]);
        self::assertSame([], $this->fixture->queue()->list());
        self::assertCount(2, $this->log->recentNotifications(10));
    }

    public function testEachModelGetsItsOwnJobAndTheMostConsequentialOutcomeWins(): void
    {
        $this->receive([PayloadFixture::alert('A', 'churn')]);
        $result = $this->receive([PayloadFixture::alert('A', 'churn'), PayloadFixture::alert('A', 'fraud')]);

        self::assertSame('queued', $result->outcome());
        self::assertSame(
            [['model' => 'churn', 'outcome' => 'duplicate'], ['model' => 'fraud', 'outcome' => 'queued']],
            array_map(static fn (array $j): array => ['model' => $j['model'], 'outcome' => $j['outcome']], $result->toArray()['jobs']),
        );
    }
}
