<?php

declare(strict_types=1);

namespace Driftline\Clock;

use DateTimeImmutable;

/** A clock that stands still until told to move; for tests and replays. */
final class FrozenClock implements Clock
{
    private function __construct(private DateTimeImmutable $now)
    {
    }

    public static function at(string $isoTime): self
    {
        return new self(new DateTimeImmutable($isoTime));
    }

    public function now(): DateTimeImmutable
    {
        return $this->now;
    }

    public function advance(string $interval): void
    {
        $this->now = $this->now->modify($interval);
    }
}
