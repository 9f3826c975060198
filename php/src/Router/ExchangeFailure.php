<?php

declare(strict_types=1);

namespace Driftline\Router;

use RuntimeException;

/**
 * One HTTP exchange on a connection failed. closedUnanswered: the connection
 * ended before a single byte of the answer, the mark of a kept-alive
 * connection the server closed while the request went out. Only that failure,
 * and only on a reused connection, is retried; a timeout or a cut answer is not
 * (the server may have acted on the request).
 */
final class ExchangeFailure extends RuntimeException
{
    private function __construct(string $message, private readonly bool $closedUnanswered)
    {
        parent::__construct($message);
    }

    public static function closedUnanswered(string $why): self
    {
        return new self($why, true);
    }

    public static function failed(string $why): self
    {
        return new self($why, false);
    }

    public function isClosedUnanswered(): bool
    {
        return $this->closedUnanswered;
    }
}
