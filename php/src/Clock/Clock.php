<?php

declare(strict_types=1);

namespace Driftline\Clock;

use DateTimeImmutable;

/** Where "now" comes from; injected so tests can freeze and move time. */
interface Clock
{
    public function now(): DateTimeImmutable;
}
