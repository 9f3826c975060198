<?php

declare(strict_types=1);

namespace Driftline\Queue;

use Driftline\Clock\Clock;
use PDO;
use PDOException;

/**
 * The durable retraining queue. Every state change is one SQL transaction;
 * the unique partial index keeps one active job per model and the
 * immediate transactions keep the cool-down check and the insert together.
 */
final class JobQueue
{
    private function __construct(
        private readonly PDO $pdo,
        private readonly Clock $clock,
        private readonly QueuePolicy $policy,
    ) {
    }

    public static function on(PDO $pdo, Clock $clock, QueuePolicy $policy): self
    {
        return new self($pdo, $clock, $policy);
    }

    public function pdo(): PDO
    {
        return $this->pdo;
    }

    /** @param array<string, mixed> $reason */
    public function enqueue(string $model, array $reason): EnqueueResult
    {
        return Database::immediately($this->pdo, fn (): EnqueueResult => $this->enqueueInTransaction($model, $reason));
    }

    /**
     * The caller holds an immediate transaction (see Database::immediately),
     * so it can record more in the same commit.
     *
     * @param array<string, mixed> $reason
     */
    public function enqueueInTransaction(string $model, array $reason): EnqueueResult
    {
        $activeStates = JobState::active();
        $active = $this->scalar(
            'SELECT id FROM jobs WHERE model = ? AND state IN (' . self::placeholders($activeStates) . ') LIMIT 1',
            [$model, ...self::valuesOf($activeStates)],
        );
        if ($active !== null) {
            return EnqueueResult::of($model, EnqueueOutcome::Duplicate, (int) $active);
        }
        $now = $this->now();
        $last = $this->row(
            'SELECT id, finished_at FROM jobs WHERE model = ? AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1',
            [$model],
        );
        if ($last !== null && $now - (float) $last['finished_at'] < $this->policy->cooldownSeconds()) {
            return EnqueueResult::of($model, EnqueueOutcome::Cooldown, (int) $last['id']);
        }
        try {
            $this->execute(
                'INSERT INTO jobs (model, state, reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
                [$model, JobState::Queued->value, self::encode($reason), $now, $now],
            );
        } catch (PDOException $e) {
            // Unreachable while callers hold an immediate transaction; kept so
            // a caller that does not still gets a duplicate, not a 500.
            if (str_contains($e->getMessage(), 'UNIQUE')) {
                return EnqueueResult::of($model, EnqueueOutcome::Duplicate, null);
            }
            throw $e;
        }
        return EnqueueResult::of($model, EnqueueOutcome::Queued, (int) $this->pdo->lastInsertId());
    }

    /** Takes the oldest queued job for $worker, after returning lost jobs to the queue. */
    public function claimNext(string $worker): ?Job
    {
        return Database::immediately($this->pdo, function () use ($worker): ?Job {
            $this->recoverStaleInTransaction();
            $id = $this->scalar('SELECT id FROM jobs WHERE state = ? ORDER BY id LIMIT 1', [JobState::Queued->value]);
            if ($id === null) {
                return null;
            }
            $now = $this->now();
            $this->execute(
                'UPDATE jobs SET state = ?, attempts = attempts + 1, worker = ?, started_at = ?,
                    heartbeat_at = ?, updated_at = ?, finished_at = NULL, exit_code = NULL WHERE id = ?',
                [JobState::Running->value, $worker, $now, $now, $now, $id],
            );
            return $this->get((int) $id);
        });
    }

    /**
     * Running jobs whose worker stopped beating go back to the queue, or fail
     * for good once they used all their tries.
     *
     * @return int how many jobs were recovered
     */
    public function recoverStale(): int
    {
        return Database::immediately($this->pdo, fn (): int => $this->recoverStaleInTransaction());
    }

    /** False when the job is no longer this worker's (it was recovered as stale). */
    public function heartbeat(int $id, string $worker): bool
    {
        $now = $this->now();
        return $this->execute(
            'UPDATE jobs SET heartbeat_at = ?, updated_at = ? WHERE id = ? AND state = ? AND worker = ?',
            [$now, $now, $id, JobState::Running->value, $worker],
        ) === 1;
    }

    public function attachLog(int $id, string $logPath): void
    {
        $this->execute('UPDATE jobs SET log_path = ? WHERE id = ?', [$logPath, $id]);
    }

    public function finish(int $id, string $worker, JobResult $result): bool
    {
        $now = $this->now();
        return $this->execute(
            'UPDATE jobs SET state = ?, finished_at = ?, updated_at = ?, heartbeat_at = ?, exit_code = ?,
                output_tail = ?, outcome = ?, model_version = ?, promotion = ?, error = ?
             WHERE id = ? AND state = ? AND worker = ?',
            [
                $result->state()->value, $now, $now, $now, $result->exitCode(), $result->outputTail(),
                $result->outcome() === null ? null : self::encode($result->outcome()),
                $result->modelVersion(), $result->promotion(), $result->error(), $id, JobState::Running->value, $worker,
            ],
        ) === 1;
    }

    /** A worker stopping on purpose hands its job back without using up a try. */
    public function release(int $id, string $worker, string $why): bool
    {
        return $this->execute(
            'UPDATE jobs SET state = ?, attempts = MAX(attempts - 1, 0), worker = NULL, updated_at = ?,
                error = ? WHERE id = ? AND state = ? AND worker = ?',
            [JobState::Queued->value, $this->now(), $why, $id, JobState::Running->value, $worker],
        ) === 1;
    }

    public function get(int $id): ?Job
    {
        $row = $this->row('SELECT * FROM jobs WHERE id = ?', [$id]);
        return $row === null ? null : Job::fromRow($row);
    }

    /** @return list<Job> newest first */
    public function list(?JobState $state = null, int $limit = 50): array
    {
        $sql = 'SELECT * FROM jobs' . ($state === null ? '' : ' WHERE state = :state') . ' ORDER BY id DESC LIMIT :limit';
        $statement = $this->pdo->prepare($sql);
        if ($state !== null) {
            $statement->bindValue(':state', $state->value);
        }
        $statement->bindValue(':limit', max(1, $limit), PDO::PARAM_INT);
        $statement->execute();
        return array_map(static fn (array $row): Job => Job::fromRow($row), $statement->fetchAll());
    }

    /** @return array<string, int> every state, zero included */
    public function countsByState(): array
    {
        $counts = [];
        foreach (JobState::cases() as $state) {
            $counts[$state->value] = 0;
        }
        foreach ($this->pdo->query('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state') ?: [] as $row) {
            $counts[(string) $row['state']] = (int) $row['n'];
        }
        return $counts;
    }

    public function lastFinishedDuration(): ?float
    {
        $row = $this->row(
            'SELECT finished_at - started_at AS d FROM jobs WHERE finished_at IS NOT NULL AND started_at IS NOT NULL
             ORDER BY finished_at DESC LIMIT 1',
            [],
        );
        return $row === null ? null : (float) $row['d'];
    }

    private function recoverStaleInTransaction(): int
    {
        $cutoff = $this->now() - $this->policy->staleAfterSeconds();
        $now = $this->now();
        $failed = $this->execute(
            "UPDATE jobs SET state = ?, finished_at = ?, updated_at = ?, worker = NULL,
                error = 'worker lost (heartbeat stale) and no tries left after ' || attempts || ' attempt(s)'
             WHERE state = ? AND heartbeat_at < ? AND attempts >= ?",
            [JobState::Failed->value, $now, $now, JobState::Running->value, $cutoff, $this->policy->maxAttempts()],
        );
        $requeued = $this->execute(
            "UPDATE jobs SET state = ?, updated_at = ?, worker = NULL,
                error = 'worker lost (heartbeat stale) during attempt ' || attempts || '; re-queued'
             WHERE state = ? AND heartbeat_at < ?",
            [JobState::Queued->value, $now, JobState::Running->value, $cutoff],
        );
        return $failed + $requeued;
    }

    private function now(): float
    {
        return (float) $this->clock->now()->format('U.u');
    }

    /** @param list<mixed> $params */
    private function execute(string $sql, array $params): int
    {
        $statement = $this->pdo->prepare($sql);
        $statement->execute($params);
        return $statement->rowCount();
    }

    /**
     * @param list<mixed> $params
     * @return array<string, mixed>|null
     */
    private function row(string $sql, array $params): ?array
    {
        $statement = $this->pdo->prepare($sql);
        $statement->execute($params);
        $row = $statement->fetch();
        return is_array($row) ? $row : null;
    }

    /** @param list<mixed> $params */
    private function scalar(string $sql, array $params): mixed
    {
        $statement = $this->pdo->prepare($sql);
        $statement->execute($params);
        $value = $statement->fetchColumn();
        return $value === false ? null : $value;
    }

    /** @param list<JobState> $states */
    private static function placeholders(array $states): string
    {
        return implode(', ', array_fill(0, count($states), '?'));
    }

    /**
     * @param list<JobState> $states
     * @return list<string>
     */
    private static function valuesOf(array $states): array
    {
        return array_map(static fn (JobState $state): string => $state->value, $states);
    }

    /** @param array<mixed> $data */
    private static function encode(array $data): string
    {
        return json_encode($data, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
    }
}
