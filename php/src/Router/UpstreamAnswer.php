<?php

declare(strict_types=1);

namespace Driftline\Router;

/** What an inference server answered (any HTTP status). */
final class UpstreamAnswer
{
    private function __construct(private readonly int $status, private readonly string $body)
    {
    }

    public static function of(int $status, string $body): self
    {
        return new self($status, $body);
    }

    public function status(): int
    {
        return $this->status;
    }

    public function body(): string
    {
        return $this->body;
    }

    /** 5xx means the server is unwell, so another variant should try; 4xx is the caller's fault. */
    public function isServerFailure(): bool
    {
        return $this->status >= 500;
    }
}
