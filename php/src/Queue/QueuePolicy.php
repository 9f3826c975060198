<?php

declare(strict_types=1);

namespace Driftline\Queue;

use Driftline\Config\Settings;
use InvalidArgumentException;

/** The queue's knobs: cool-down after a finished job, tries per job, when a heartbeat is stale. */
final class QueuePolicy
{
    private function __construct(
        private readonly int $cooldownSeconds,
        private readonly int $maxAttempts,
        private readonly float $staleAfterSeconds,
    ) {
        if ($cooldownSeconds < 0 || $maxAttempts < 1 || $staleAfterSeconds <= 0.0) {
            throw new InvalidArgumentException('cool-down >= 0, max attempts >= 1 and stale-after > 0 required');
        }
    }

    public static function of(int $cooldownSeconds, int $maxAttempts, float $staleAfterSeconds): self
    {
        return new self($cooldownSeconds, $maxAttempts, $staleAfterSeconds);
    }

    public static function fromSettings(Settings $settings): self
    {
        return new self($settings->cooldownSeconds(), $settings->maxAttempts(), $settings->staleAfterSeconds());
    }

    public function cooldownSeconds(): int
    {
        return $this->cooldownSeconds;
    }

    public function maxAttempts(): int
    {
        return $this->maxAttempts;
    }

    public function staleAfterSeconds(): float
    {
        return $this->staleAfterSeconds;
    }
}
