<?php

declare(strict_types=1);

namespace Driftline\Tests\Queue;

use Driftline\Clock\FrozenClock;
use Driftline\Queue\Database;
use Driftline\Queue\JobQueue;
use Driftline\Queue\QueuePolicy;
use PDO;

/** A real SQLite queue in a temporary file, on a frozen clock. */
final class QueueFixture
{
    private function __construct(
        private readonly string $path,
        private readonly PDO $pdo,
        private readonly FrozenClock $clock,
        private readonly JobQueue $queue,
    ) {
    }

    public static function create(int $cooldownSeconds = 3600, int $maxAttempts = 3, float $staleAfterSeconds = 60.0): self
    {
        $path = tempnam(sys_get_temp_dir(), 'driftline-queue-') . '.db';
        $pdo = Database::open($path);
        $clock = FrozenClock::at('2026-11-26T12:00:00Z');
        return new self($path, $pdo, $clock, JobQueue::on($pdo, $clock, QueuePolicy::of($cooldownSeconds, $maxAttempts, $staleAfterSeconds)));
    }

    public function queue(): JobQueue
    {
        return $this->queue;
    }

    public function clock(): FrozenClock
    {
        return $this->clock;
    }

    public function pdo(): PDO
    {
        return $this->pdo;
    }

    public function path(): string
    {
        return $this->path;
    }

    public function remove(): void
    {
        foreach (['', '-wal', '-shm'] as $suffix) {
            @unlink($this->path . $suffix);
        }
        @unlink(substr($this->path, 0, -3));
    }
}
