<?php

declare(strict_types=1);

namespace Driftline\Worker;

use Closure;
use Driftline\Queue\Job;
use Driftline\Queue\JobQueue;
use Driftline\Queue\JobResult;
use InvalidArgumentException;

/**
 * Takes queued retraining jobs one at a time and runs the retraining
 * command for each: `COMMAND --name NAME --job-id ID --reason JSON`.
 * Exit 0 with a valid outcome line of status promoted or rejected is a
 * success; anything else fails the job, with the reason in `error`.
 */
final class Worker
{
    /**
     * @param non-empty-list<string> $command
     * @param Closure(): bool $shouldStop
     * @param Closure(string): void $say progress messages for the operator
     */
    private function __construct(
        private readonly JobQueue $queue,
        private readonly CommandRunner $runner,
        private readonly array $command,
        private readonly string $logDir,
        private readonly string $id,
        private readonly Closure $shouldStop,
        private readonly Closure $say,
    ) {
    }

    /**
     * @param Closure(): bool $shouldStop
     * @param Closure(string): void $say
     */
    public static function create(JobQueue $queue, CommandRunner $runner, string $command, string $logDir, string $id, Closure $shouldStop, Closure $say): self
    {
        return new self($queue, $runner, CommandLine::split($command), $logDir, $id, $shouldStop, $say);
    }

    /**
     * Processes jobs until asked to stop; with $once, at most one job.
     *
     * @param Closure(float): void $sleep waits between polls of an empty queue
     */
    public function run(bool $once, float $pollSeconds, Closure $sleep): void
    {
        while (!($this->shouldStop)()) {
            $worked = $this->processNext();
            if ($once) {
                return;
            }
            if (!$worked) {
                $sleep($pollSeconds);
            }
        }
    }

    /** @return bool whether a job was taken */
    public function processNext(): bool
    {
        $job = $this->queue->claimNext($this->id);
        if ($job === null) {
            return false;
        }
        $this->process($job);
        return true;
    }

    private function process(Job $job): void
    {
        if (!is_dir($this->logDir)) {
            @mkdir($this->logDir, 0775, true);
        }
        $logPath = "{$this->logDir}/{$job->id()}.log";
        $this->queue->attachLog($job->id(), $logPath);
        $argv = [
            ...$this->command,
            '--name', $job->model(),
            '--job-id', (string) $job->id(),
            '--reason', json_encode($job->reason(), JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE),
        ];
        file_put_contents($logPath, sprintf(
            "=== job %d attempt %d, worker %s, %s ===\n",
            $job->id(),
            $job->attempts(),
            $this->id,
            gmdate('Y-m-d\TH:i:s\Z'),
        ), FILE_APPEND);
        ($this->say)("job {$job->id()} ({$job->model()}) attempt {$job->attempts()}: started");

        // Set when a heartbeat is refused: the job was taken back as stale and
        // may already run elsewhere, so this copy of the command must end.
        $lost = false;
        $result = $this->runner->run(
            $argv,
            $logPath,
            function () use ($job, &$lost): void {
                $lost = $lost || !$this->queue->heartbeat($job->id(), $this->id);
            },
            function () use (&$lost): bool {
                return $lost || ($this->shouldStop)();
            },
        );

        if ($lost) {
            ($this->say)(sprintf(
                'job %d: taken back as stale by the queue; command ended (exit %s), nothing recorded',
                $job->id(),
                $result->exitCode() ?? '?',
            ));
            return;
        }
        if ($result->stopped()) {
            $this->queue->release($job->id(), $this->id, "worker {$this->id} stopped during attempt {$job->attempts()}; re-queued");
            ($this->say)("job {$job->id()}: worker stopping, job re-queued");
            return;
        }
        $verdict = self::judge($result);
        $recorded = $this->queue->finish($job->id(), $this->id, $verdict);
        ($this->say)(sprintf(
            'job %d: %s (exit %s)%s%s',
            $job->id(),
            $verdict->state()->value,
            $result->exitCode() ?? '?',
            self::decision($verdict),
            $recorded ? '' : ' -- not recorded: the job was taken back as stale meanwhile',
        ));
    }

    /** `, promoted; mae: challenger ..., champion ... (lower is better, ...)`, or '' without a decision. */
    public static function decision(JobResult $verdict): string
    {
        if ($verdict->promotion() === null) {
            return '';
        }
        $gate = GateFigures::fromOutcome($verdict->outcome());
        return ', ' . $verdict->promotion() . ($gate === null ? '' : '; ' . $gate->summary());
    }

    /** Pure: what a finished command means for its job. */
    public static function judge(CommandResult $result): JobResult
    {
        $tail = $result->outputTail();
        $exit = $result->exitCode();
        if ($result->timedOut()) {
            return JobResult::failed($exit, $tail, 'timed out; the command was terminated');
        }
        $outcome = null;
        $outcomeProblem = null;
        if ($result->lastStdoutLine() === null) {
            $outcomeProblem = 'no output line';
        } else {
            try {
                $outcome = RetrainOutcome::fromLine($result->lastStdoutLine());
            } catch (InvalidArgumentException $e) {
                $outcomeProblem = $e->getMessage();
            }
        }
        $fields = $outcome?->toArray();
        $version = $outcome?->challengerVersion();
        $status = $outcome?->status();
        if ($exit !== 0) {
            $message = $outcome !== null && $outcome->message() !== '' ? ': ' . $outcome->message() : '';
            return JobResult::failed($exit, $tail, "retrain command exited with code {$exit}{$message}", $fields, $version, $status);
        }
        if ($outcome === null) {
            return JobResult::failed($exit, $tail, "exit code 0 but no valid outcome line ({$outcomeProblem})");
        }
        if ($outcome->status() === 'failed') {
            return JobResult::failed($exit, $tail, 'outcome status failed despite exit code 0: ' . $outcome->message(), $fields, $version, $status);
        }
        return JobResult::succeeded(0, $tail, $fields, $version, $status);
    }
}
