<?php

declare(strict_types=1);

namespace Driftline\Router;

use RuntimeException;

/** No HTTP answer at all: refused, timed out, reset. */
final class UpstreamFailure extends RuntimeException
{
    public static function because(string $variant, string $why): self
    {
        return new self("{$variant}: {$why}");
    }
}
