<?php

declare(strict_types=1);

namespace Driftline\Router;

/** A whole HTTP response as read off a connection, and whether that connection may be kept. */
final class HttpResponse
{
    private function __construct(
        private readonly int $status,
        private readonly string $body,
        private readonly bool $keepAlive,
    ) {
    }

    public static function of(int $status, string $body, bool $keepAlive): self
    {
        return new self($status, $body, $keepAlive);
    }

    public function status(): int
    {
        return $this->status;
    }

    public function body(): string
    {
        return $this->body;
    }

    public function keepAlive(): bool
    {
        return $this->keepAlive;
    }
}
