<?php

declare(strict_types=1);

namespace Driftline\Webhook;

use Driftline\Config\Settings;
use InvalidArgumentException;

/**
 * How long the notifications table keeps a notification, and how many old
 * rows one write may remove. Outcome counters live in their own table and
 * are never pruned.
 */
final readonly class NotificationRetention
{
    // Enough that a write removes far more old rows than it adds, few enough
    // that a backlog (retention newly shortened) costs a webhook only milliseconds.
    public const DEFAULT_BATCH = 100;

    private function __construct(private int $seconds, private int $batch)
    {
        if ($seconds < 0 || $batch < 1) {
            throw new InvalidArgumentException('retention >= 0 seconds and a batch of at least 1 row required');
        }
    }

    /** $seconds = 0 keeps every notification. */
    public static function of(int $seconds, int $batch = self::DEFAULT_BATCH): self
    {
        return new self($seconds, $batch);
    }

    public static function fromSettings(Settings $settings): self
    {
        return new self($settings->notificationRetentionSeconds(), self::DEFAULT_BATCH);
    }

    public function keepsEverything(): bool
    {
        return $this->seconds === 0;
    }

    /** Notifications received before this time (Unix seconds) may go; null when all stay. */
    public function cutoff(float $now): ?float
    {
        return $this->keepsEverything() ? null : $now - $this->seconds;
    }

    public function batch(): int
    {
        return $this->batch;
    }
}
