<?php

declare(strict_types=1);

namespace Driftline\Webhook;

use Driftline\Clock\Clock;
use Driftline\Contract\SharedContract;
use PDO;

/**
 * Durable record of what the receiver got: accepted notifications with
 * their decisions, and a counter per webhook outcome (the source of
 * driftline_webhooks_total, which must survive across PHP processes).
 *
 * Notifications older than the retention go, a batch at a time, whenever a
 * new one is written: the table grows only then, and the receiver has no
 * process of its own to prune on a schedule. The counters are a separate
 * table and never pruned, so the Prometheus counter never goes backwards.
 */
final class WebhookLog
{
    private function __construct(
        private readonly PDO $pdo,
        private readonly Clock $clock,
        private readonly NotificationRetention $retention,
    ) {
    }

    public static function on(PDO $pdo, Clock $clock, NotificationRetention $retention): self
    {
        return new self($pdo, $clock, $retention);
    }

    public function count(string $outcome): void
    {
        $statement = $this->pdo->prepare(
            'INSERT INTO webhook_outcomes (outcome, count) VALUES (?, 1)
             ON CONFLICT (outcome) DO UPDATE SET count = count + 1',
        );
        $statement->execute([$outcome]);
    }

    /** @param list<array<string, mixed>> $decisions */
    public function recordNotification(AlertmanagerPayload $payload, string $outcome, array $decisions, string $rawBody): int
    {
        $statement = $this->pdo->prepare(
            'INSERT INTO notifications (received_at, status, receiver, group_key, outcome, alert_count, decisions, payload)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        );
        $now = $this->now();
        $statement->execute([
            $now,
            $payload->status(),
            $payload->receiver(),
            $payload->groupKey(),
            $outcome,
            count($payload->alerts()),
            json_encode($decisions, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES),
            $rawBody,
        ]);
        $id = (int) $this->pdo->lastInsertId();
        $this->pruneBefore($this->retention->cutoff($now));
        return $id;
    }

    /** @return array<string, int> every outcome of the metric catalog, zero included */
    public function outcomeCounts(): array
    {
        $counts = array_fill_keys(SharedContract::WEBHOOK_OUTCOMES, 0);
        foreach ($this->pdo->query('SELECT outcome, count FROM webhook_outcomes') ?: [] as $row) {
            $counts[(string) $row['outcome']] = (int) $row['count'];
        }
        return $counts;
    }

    /** @return list<array<string, mixed>> newest first */
    public function recentNotifications(int $limit): array
    {
        $statement = $this->pdo->prepare(
            'SELECT id, received_at, status, receiver, group_key, outcome, alert_count, decisions
             FROM notifications ORDER BY id DESC LIMIT ?',
        );
        $statement->bindValue(1, $limit, PDO::PARAM_INT);
        $statement->execute();
        return $statement->fetchAll();
    }

    /** Removes up to one batch of notifications received before $cutoff, oldest first. */
    private function pruneBefore(?float $cutoff): void
    {
        if ($cutoff === null) {
            return;
        }
        $statement = $this->pdo->prepare(
            'DELETE FROM notifications WHERE id IN
                (SELECT id FROM notifications WHERE received_at < ? ORDER BY received_at LIMIT ?)',
        );
        $statement->bindValue(1, $cutoff);
        $statement->bindValue(2, $this->retention->batch(), PDO::PARAM_INT);
        $statement->execute();
    }

    private function now(): float
    {
        return (float) $this->clock->now()->format('U.u');
    }
}
