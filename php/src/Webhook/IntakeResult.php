<?php

declare(strict_types=1);

namespace Driftline\Webhook;

use Driftline\Queue\EnqueueOutcome;
use Driftline\Queue\EnqueueResult;

final class IntakeResult
{
    /** @param list<EnqueueResult> $decisions */
    private function __construct(
        private readonly string $outcome,
        private readonly int $notificationId,
        private readonly array $decisions,
    ) {
    }

    /** @param list<EnqueueResult> $decisions */
    public static function of(string $outcome, int $notificationId, array $decisions): self
    {
        return new self($outcome, $notificationId, $decisions);
    }

    public function outcome(): string
    {
        return $this->outcome;
    }

    /** 202 when a job was queued (work accepted for later), 200 when nothing new happens. */
    public function httpStatus(): int
    {
        foreach ($this->decisions as $decision) {
            if ($decision->outcome() === EnqueueOutcome::Queued) {
                return 202;
            }
        }
        return 200;
    }

    /** @return array<string, mixed> */
    public function toArray(): array
    {
        return [
            'status' => $this->outcome,
            'notification_id' => $this->notificationId,
            'jobs' => array_map(static fn (EnqueueResult $d): array => $d->toArray(), $this->decisions),
        ];
    }
}
