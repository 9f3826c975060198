<?php

declare(strict_types=1);

namespace Driftline\Tests\Worker;

use Driftline\Queue\JobState;
use Driftline\Tests\Queue\QueueFixture;
use Driftline\Worker\CommandRunner;
use Driftline\Worker\Worker;
use PHPUnit\Framework\TestCase;

/**
 * The worker against a real queue and a real command (a shell script).
 *
 * @covers \Driftline\Worker\Worker
 */
final class WorkerTest extends TestCase
{
    private QueueFixture $fixture;
    private string $dir;
    /** @var list<string> */
    private array $said = [];

    protected function setUp(): void
    {
        $this->fixture = QueueFixture::create();
        $this->dir = sys_get_temp_dir() . '/driftline-worker-' . bin2hex(random_bytes(4));
        mkdir($this->dir);
    }

    protected function tearDown(): void
    {
        $this->fixture->remove();
        foreach (glob($this->dir . '/{,*/}*', GLOB_BRACE) ?: [] as $file) {
            is_file($file) && unlink($file);
        }
        @rmdir($this->dir . '/logs');
        @rmdir($this->dir);
    }

    /** @param (callable(string): void)|null $onSay */
    private function worker(string $script, bool $stop = false, float $heartbeatSeconds = 10, ?callable $onSay = null): Worker
    {
        $path = $this->dir . '/retrain.sh';
        file_put_contents($path, "#!/bin/sh\n" . $script);
        chmod($path, 0755);
        return Worker::create(
            $this->fixture->queue(),
            CommandRunner::create(30, $heartbeatSeconds),
            "'{$path}' --verbose",
            $this->dir . '/logs',
            'test-worker',
            static fn (): bool => $stop,
            function (string $m) use ($onSay): void {
                $this->said[] = $m;
                if ($onSay !== null) {
                    $onSay($m);
                }
            },
        );
    }

    public function testRunsTheCommandWithModelJobIdAndReason(): void
    {
        $id = (int) $this->fixture->queue()->enqueue('churn', ['alertnames' => ['DriftlineFeatureDrift']])->jobId();
        $worker = $this->worker('printf "%s\n" "$@" > "$(dirname "$0")/argv"; echo \'' . OutcomeLine::json(['job_id' => 'x']) . "'\n");

        self::assertTrue($worker->processNext());
        self::assertFalse($worker->processNext(), 'queue is empty now');

        $argv = file((string) "{$this->dir}/argv", FILE_IGNORE_NEW_LINES);
        self::assertSame(['--verbose', '--name', 'churn', '--job-id', (string) $id, '--reason', '{"alertnames":["DriftlineFeatureDrift"]}'], $argv);
        $job = $this->fixture->queue()->get($id);
        self::assertNotNull($job);
        self::assertSame([JobState::Succeeded, 0, '4', 'promoted'], [$job->state(), $job->exitCode(), $job->modelVersion(), $job->promotion()]);
        self::assertFileExists("{$this->dir}/logs/{$id}.log");
    }

    public function testTellsTheOperatorWhichMetricTheGateUsed(): void
    {
        $id = (int) $this->fixture->queue()->enqueue('houses', [])->jobId();
        $line = OutcomeLine::json(['model' => 'houses', 'status' => 'rejected', 'champion_after' => '3', 'figures' => ['challenger_score' => 51000.0, 'champion_score' => 49473.4] + OutcomeLine::REGRESSION_FIGURES]);

        $this->worker("echo '{$line}'\n")->processNext();

        self::assertContains(
            "job {$id}: succeeded (exit 0), rejected; mae: challenger 51000, champion 49473.4 (lower is better, margin 1% of champion's)",
            $this->said,
        );
    }

    public function testAFailingCommandFailsTheJobWithItsOutputTail(): void
    {
        $id = (int) $this->fixture->queue()->enqueue('churn', [])->jobId();

        $this->worker("echo 'loading data' ; echo 'ValueError: no labelled rows' >&2 ; exit 2\n")->processNext();

        $job = $this->fixture->queue()->get($id);
        self::assertNotNull($job);
        self::assertSame([JobState::Failed, 2], [$job->state(), $job->exitCode()]);
        self::assertStringContainsString('ValueError: no labelled rows', (string) $job->outputTail());
        self::assertStringContainsString('exited with code 2', (string) $job->error());
    }

    public function testAStoppingWorkerReQueuesItsJob(): void
    {
        $id = (int) $this->fixture->queue()->enqueue('churn', [])->jobId();

        $this->worker("exec sleep 30\n", true)->processNext();

        $job = $this->fixture->queue()->get($id);
        self::assertNotNull($job);
        self::assertSame([JobState::Queued, 0], [$job->state(), $job->attempts()]);
        self::assertStringContainsString('re-queued', implode("\n", $this->said));
    }

    public function testAWorkerWhoseJobWasTakenBackEndsItsCommandAndRecordsNothing(): void
    {
        $queue = $this->fixture->queue();
        $id = (int) $queue->enqueue('churn', [])->jobId();
        $takeBack = function (string $message) use ($queue): void {
            if (str_contains($message, 'started')) {
                // Another worker finds the heartbeat stale and takes the job over.
                $this->fixture->clock()->advance('+61 minutes');
                $queue->claimNext('other-worker');
            }
        };

        $this->worker("exec sleep 30\n", false, 0.05, $takeBack)->processNext();

        $job = $queue->get($id);
        self::assertNotNull($job);
        self::assertSame([JobState::Running, 'other-worker', 2], [$job->state(), $job->worker(), $job->attempts()]);
        // Exit 143 = ended by SIGTERM: the worker stopped its copy rather than letting it finish.
        self::assertStringContainsString('taken back as stale by the queue; command ended (exit 143)', implode("\n", $this->said));
    }
}
