<?php

declare(strict_types=1);

namespace Driftline\Webhook;

use Driftline\Queue\Database;
use Driftline\Queue\EnqueueOutcome;
use Driftline\Queue\EnqueueResult;
use Driftline\Queue\JobQueue;

/**
 * Decides what a valid notification does: one retraining request per model
 * among its firing retrain alerts, recorded together with the notification
 * and the outcome counter in one transaction (nothing acknowledged is lost,
 * nothing half-recorded).
 */
final class AlertIntake
{
    // When one notification has several models, the notification's outcome
    // is the most consequential decision among them.
    private const PRECEDENCE = ['queued', 'duplicate', 'cooldown'];

    private function __construct(private readonly JobQueue $queue, private readonly WebhookLog $log)
    {
    }

    public static function with(JobQueue $queue, WebhookLog $log): self
    {
        return new self($queue, $log);
    }

    public function receive(AlertmanagerPayload $payload, string $rawBody): IntakeResult
    {
        return Database::immediately($this->queue->pdo(), function () use ($payload, $rawBody): IntakeResult {
            $decisions = [];
            foreach ($payload->retrainRequestsByModel() as $model => $alerts) {
                $decisions[] = $this->queue->enqueueInTransaction($model, $this->reason($payload, $model, $alerts));
            }
            $outcome = $this->outcome($payload, $decisions);
            $rows = array_map(static fn (EnqueueResult $d): array => $d->toArray(), $decisions);
            $id = $this->log->recordNotification($payload, $outcome, $rows, $rawBody);
            $this->log->count($outcome);
            return IntakeResult::of($outcome, $id, $decisions);
        });
    }

    /** @param list<EnqueueResult> $decisions */
    private function outcome(AlertmanagerPayload $payload, array $decisions): string
    {
        $seen = array_map(static fn (EnqueueResult $d): string => $d->outcome()->value, $decisions);
        foreach (self::PRECEDENCE as $outcome) {
            if (in_array($outcome, $seen, true)) {
                return $outcome;
            }
        }
        return $payload->status() === 'resolved' ? 'resolved' : 'ignored';
    }

    /**
     * @param list<Alert> $alerts
     * @return array<string, mixed>
     */
    private function reason(AlertmanagerPayload $payload, string $model, array $alerts): array
    {
        $names = array_values(array_unique(array_map(static fn (Alert $a): string => $a->name(), $alerts)));
        sort($names);
        return [
            'trigger' => 'alert',
            'model' => $model,
            'alertnames' => $names,
            'receiver' => $payload->receiver(),
            'group_key' => $payload->groupKey(),
            'external_url' => $payload->externalUrl(),
            'alerts' => array_map(static fn (Alert $a): array => $a->summary(), $alerts),
        ];
    }
}
