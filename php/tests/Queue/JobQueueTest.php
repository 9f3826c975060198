<?php

declare(strict_types=1);

namespace Driftline\Tests\Queue;

use Driftline\Queue\EnqueueOutcome;
use Driftline\Queue\JobResult;
use Driftline\Queue\JobState;
use PDOException;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Driftline\Queue\JobQueue
 * @covers \Driftline\Queue\Database
 * @covers \Driftline\Queue\Job
 * @covers \Driftline\Queue\JobResult
 */
final class JobQueueTest extends TestCase
{
    private QueueFixture $fixture;

    protected function setUp(): void
    {
        $this->fixture = QueueFixture::create(cooldownSeconds: 0, maxAttempts: 2, staleAfterSeconds: 60.0);
    }

    protected function tearDown(): void
    {
        $this->fixture->remove();
    }

    public function testQueuedRunningSucceeded(): void
    {
        $queue = $this->fixture->queue();
        $id = $queue->enqueue('churn', ['alertnames' => ['X']])->jobId();
        $claimed = $queue->claimNext('w1');

        self::assertNotNull($claimed);
        self::assertSame([$id, JobState::Running, 1, 'w1'], [$claimed->id(), $claimed->state(), $claimed->attempts(), $claimed->worker()]);
        self::assertNull($queue->claimNext('w2'), 'one job, already taken');

        $this->fixture->clock()->advance('+42 seconds');
        self::assertTrue($queue->finish((int) $id, 'w1', JobResult::succeeded(0, "tail\n", ['status' => 'promoted'], '7', 'promoted')));

        $done = $queue->get((int) $id);
        self::assertNotNull($done);
        self::assertSame([JobState::Succeeded, 0, '7', 'promoted', "tail\n"], [$done->state(), $done->exitCode(), $done->modelVersion(), $done->promotion(), $done->outputTail()]);
        self::assertEqualsWithDelta(42.0, $queue->lastFinishedDuration(), 0.001);
        self::assertSame(['queued' => 0, 'running' => 0, 'succeeded' => 1, 'failed' => 0], $queue->countsByState());
    }

    public function testJobsAreTakenOldestFirst(): void
    {
        $queue = $this->fixture->queue();
        $first = $queue->enqueue('churn', [])->jobId();
        $second = $queue->enqueue('fraud', [])->jobId();

        self::assertSame($first, $queue->claimNext('w1')?->id());
        self::assertSame($second, $queue->claimNext('w2')?->id());
    }

    public function testTheDatabaseItselfRefusesASecondActiveJobForAModel(): void
    {
        $this->fixture->queue()->enqueue('churn', []);

        $this->expectException(PDOException::class);
        $this->fixture->pdo()->exec("INSERT INTO jobs (model, state, reason, created_at, updated_at) VALUES ('churn', 'queued', '{}', 0, 0)");
    }

    public function testAfterAJobFinishesTheModelCanBeQueuedAgain(): void
    {
        $queue = $this->fixture->queue();
        $queue->enqueue('churn', []);
        $job = $queue->claimNext('w1');
        self::assertNotNull($job);
        $queue->finish($job->id(), 'w1', JobResult::failed(1, 'boom', 'exit 1'));

        self::assertSame(EnqueueOutcome::Queued, $queue->enqueue('churn', [])->outcome());
    }

    public function testAStaleRunningJobGoesBackToTheQueueAndIsTakenAgain(): void
    {
        $queue = $this->fixture->queue();
        $id = $queue->enqueue('churn', [])->jobId();
        $queue->claimNext('crashed-worker');

        $this->fixture->clock()->advance('+59 seconds');
        self::assertNull($queue->claimNext('w2'), 'heartbeat still fresh');
        $this->fixture->clock()->advance('+2 seconds');
        $again = $queue->claimNext('w2');

        self::assertNotNull($again);
        self::assertSame([$id, 2, 'w2'], [$again->id(), $again->attempts(), $again->worker()]);
        self::assertStringContainsString('re-queued', (string) $again->error());
        self::assertFalse($queue->finish((int) $id, 'crashed-worker', JobResult::succeeded(0, '', null, null, null)), 'the old worker lost the job');
    }

    public function testHeartbeatsKeepARunningJob(): void
    {
        $queue = $this->fixture->queue();
        $queue->enqueue('churn', []);
        $job = $queue->claimNext('w1');
        self::assertNotNull($job);
        for ($i = 0; $i < 5; $i++) {
            $this->fixture->clock()->advance('+30 seconds');
            self::assertTrue($queue->heartbeat($job->id(), 'w1'));
        }

        self::assertSame(0, $queue->recoverStale());
        self::assertSame(JobState::Running, $queue->get($job->id())?->state());
    }

    public function testAJobFailsForGoodAfterMaxTries(): void
    {
        $queue = $this->fixture->queue();
        $id = (int) $queue->enqueue('churn', [])->jobId();
        $queue->claimNext('w1');
        $this->fixture->clock()->advance('+61 seconds');
        $queue->claimNext('w2');
        $this->fixture->clock()->advance('+61 seconds');

        self::assertNull($queue->claimNext('w3'));
        $job = $queue->get($id);
        self::assertNotNull($job);
        self::assertSame([JobState::Failed, 2], [$job->state(), $job->attempts()]);
        self::assertStringContainsString('no tries left', (string) $job->error());
        self::assertFalse($queue->heartbeat($id, 'w2'));
    }

    public function testReleaseHandsTheJobBackWithoutUsingATry(): void
    {
        $queue = $this->fixture->queue();
        $id = (int) $queue->enqueue('churn', [])->jobId();
        $queue->claimNext('w1');

        self::assertTrue($queue->release($id, 'w1', 'stopping'));
        $job = $queue->get($id);
        self::assertNotNull($job);
        self::assertSame([JobState::Queued, 0, null], [$job->state(), $job->attempts(), $job->worker()]);
    }

    public function testListFiltersByStateNewestFirst(): void
    {
        $queue = $this->fixture->queue();
        $queue->enqueue('a', []);
        $queue->enqueue('b', []);
        $queue->enqueue('c', []);
        $queue->claimNext('w1');

        self::assertSame(['c', 'b'], array_map(static fn ($j) => $j->model(), $queue->list(JobState::Queued)));
        self::assertSame(['c'], array_map(static fn ($j) => $j->model(), $queue->list(null, 1)));
    }
}
