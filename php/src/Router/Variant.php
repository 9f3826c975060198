<?php

declare(strict_types=1);

namespace Driftline\Router;

use InvalidArgumentException;

/** One model variant behind the router: a name, an inference server, a traffic weight. */
final class Variant
{
    private function __construct(
        private readonly string $name,
        private readonly string $baseUrl,
        private readonly int $weight,
    ) {
    }

    public static function of(string $name, string $baseUrl, int $weight): self
    {
        if (preg_match('/^[A-Za-z0-9_.-]+$/', $name) !== 1) {
            throw new InvalidArgumentException("variant name \"{$name}\" must use letters, digits, '_', '.', '-'");
        }
        if (preg_match('#^https?://[^/\s]+(/\S*)?$#', $baseUrl) !== 1) {
            throw new InvalidArgumentException("variant {$name}: \"{$baseUrl}\" is not an http(s) URL");
        }
        if ($weight < 0) {
            throw new InvalidArgumentException("variant {$name}: weight must be >= 0");
        }
        return new self($name, rtrim($baseUrl, '/'), $weight);
    }

    public function name(): string
    {
        return $this->name;
    }

    public function baseUrl(): string
    {
        return $this->baseUrl;
    }

    public function weight(): int
    {
        return $this->weight;
    }
}
