<?php

declare(strict_types=1);

namespace Driftline\Router;

/** A point in monotonic time a forwarded request must finish by. */
final class Deadline
{
    private function __construct(private readonly int $atNs)
    {
    }

    public static function inMs(int $ms): self
    {
        return new self(hrtime(true) + $ms * 1_000_000);
    }

    /** Seconds left, never below zero. */
    public function secondsLeft(): float
    {
        return max(0, $this->atNs - hrtime(true)) / 1e9;
    }

    public function passed(): bool
    {
        return hrtime(true) >= $this->atNs;
    }
}
