<?php

declare(strict_types=1);

namespace Driftline\Queue;

use PDO;
use RuntimeException;

/**
 * Opens the receiver's SQLite database (jobs, notifications, counters) and
 * creates its tables. WAL lets /jobs and /metrics read while a worker
 * writes; the busy timeout makes concurrent writers wait instead of failing.
 */
final class Database
{
    private const BUSY_TIMEOUT_MS = 10_000;

    private function __construct()
    {
    }

    /**
     * The tables and indexes. The job states in the CHECK constraint and in the
     * active-job index come from JobState, so the database and the code cannot
     * disagree on them (SQL DDL takes no bound parameters, hence literals).
     *
     * @return list<string>
     */
    private static function schema(): array
    {
        $states = self::sqlList(JobState::cases());
        $active = self::sqlList(JobState::active());
        return [
            <<<SQL
            CREATE TABLE IF NOT EXISTS jobs (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                model TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ({$states})),
                reason TEXT NOT NULL,
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                started_at REAL,
                finished_at REAL,
                heartbeat_at REAL,
                attempts INTEGER NOT NULL DEFAULT 0,
                worker TEXT,
                exit_code INTEGER,
                output_tail TEXT,
                outcome TEXT,
                model_version TEXT,
                promotion TEXT,
                error TEXT,
                log_path TEXT
            )
            SQL,
            // The rule "at most one queued or running job per model" lives here,
            // so no interleaving of requests or workers can break it.
            "CREATE UNIQUE INDEX IF NOT EXISTS jobs_one_active_per_model ON jobs (model) WHERE state IN ({$active})",
            'CREATE INDEX IF NOT EXISTS jobs_by_model_finished ON jobs (model, finished_at)',
            <<<'SQL'
            CREATE TABLE IF NOT EXISTS notifications (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                received_at REAL NOT NULL,
                status TEXT NOT NULL,
                receiver TEXT NOT NULL,
                group_key TEXT NOT NULL,
                outcome TEXT NOT NULL,
                alert_count INTEGER NOT NULL,
                decisions TEXT NOT NULL,
                payload TEXT NOT NULL
            )
            SQL,
            // Pruning by age (WebhookLog) finds the old rows without a scan.
            'CREATE INDEX IF NOT EXISTS notifications_by_received_at ON notifications (received_at)',
            <<<'SQL'
            CREATE TABLE IF NOT EXISTS webhook_outcomes (
                outcome TEXT PRIMARY KEY,
                count INTEGER NOT NULL
            )
            SQL,
        ];
    }

    public static function open(string $path): PDO
    {
        $dir = dirname($path);
        if (!is_dir($dir) && !@mkdir($dir, 0775, true) && !is_dir($dir)) {
            throw new RuntimeException("cannot create directory {$dir}");
        }
        $pdo = new PDO('sqlite:' . $path, null, null, [
            PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
            PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC,
            PDO::ATTR_TIMEOUT => (int) (self::BUSY_TIMEOUT_MS / 1000),
        ]);
        $pdo->exec('PRAGMA busy_timeout = ' . self::BUSY_TIMEOUT_MS);
        self::useWal($pdo);
        // NORMAL is durable across a process crash in WAL mode; FULL also
        // survives power loss, and the write rate here is tiny.
        $pdo->exec('PRAGMA synchronous = FULL');
        foreach (self::schema() as $statement) {
            $pdo->exec($statement);
        }
        return $pdo;
    }

    /**
     * Switches the file to WAL mode. The switch needs the file to itself, and
     * SQLite answers "database is locked" at once, without its busy handler,
     * while another process opens or switches the same new file: two first
     * requests arriving together met that. Such a refusal is retried.
     */
    private static function useWal(PDO $pdo): void
    {
        $deadline = microtime(true) + self::BUSY_TIMEOUT_MS / 1000;
        while (true) {
            try {
                $pdo->exec('PRAGMA journal_mode = WAL');
                return;
            } catch (\PDOException $e) {
                if (!str_contains($e->getMessage(), 'database is locked') || microtime(true) > $deadline) {
                    throw $e;
                }
                usleep(random_int(5_000, 20_000));
            }
        }
    }

    /**
     * Runs $work in a write transaction taken up front (BEGIN IMMEDIATE), so
     * a read-then-write decision cannot interleave with another writer's.
     *
     * @template T
     * @param callable(): T $work
     * @return T
     */
    public static function immediately(PDO $pdo, callable $work): mixed
    {
        $pdo->exec('BEGIN IMMEDIATE');
        try {
            $result = $work();
            $pdo->exec('COMMIT');
            return $result;
        } catch (\Throwable $e) {
            $pdo->exec('ROLLBACK');
            throw $e;
        }
    }

    /**
     * SQL string literals of $states, e.g. "'queued', 'running'". The values are
     * the enum's own lower-case words, never input, so quoting them is enough.
     *
     * @param list<JobState> $states
     */
    private static function sqlList(array $states): string
    {
        return implode(', ', array_map(static fn (JobState $state): string => "'{$state->value}'", $states));
    }
}
