<?php

declare(strict_types=1);

namespace Driftline\Clock;

use DateTimeImmutable;
use DateTimeZone;

final class SystemClock implements Clock
{
    private function __construct(private readonly DateTimeZone $zone)
    {
    }

    public static function fromUtc(): self
    {
        return new self(new DateTimeZone('UTC'));
    }

    public function now(): DateTimeImmutable
    {
        return new DateTimeImmutable('now', $this->zone);
    }
}
