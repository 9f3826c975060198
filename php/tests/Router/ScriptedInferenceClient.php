<?php

declare(strict_types=1);

namespace Driftline\Tests\Router;

use Driftline\Router\InferenceClient;
use Driftline\Router\UpstreamAnswer;
use Driftline\Router\UpstreamFailure;
use Driftline\Router\Variant;

/**
 * Answers per variant from a script: an HTTP status, or null for "no
 * answer". Unit tests of the routing rules use it; the pytest suite routes
 * to real HTTP servers.
 */
final class ScriptedInferenceClient implements InferenceClient
{
    /** @var list<string> */
    private array $calls = [];

    /** @param array<string, int|null> $statusByVariant */
    private function __construct(private readonly array $statusByVariant)
    {
    }

    /** @param array<string, int|null> $statusByVariant */
    public static function answering(array $statusByVariant): self
    {
        return new self($statusByVariant);
    }

    public function post(Variant $variant, string $path, string $jsonBody): UpstreamAnswer
    {
        $this->calls[] = $variant->name();
        $status = $this->statusByVariant[$variant->name()] ?? null;
        if ($status === null) {
            throw UpstreamFailure::because($variant->name(), 'connection refused');
        }
        return UpstreamAnswer::of($status, json_encode(['served_by' => $variant->name(), 'echo' => json_decode($jsonBody, true)], JSON_THROW_ON_ERROR));
    }

    /** @return list<string> */
    public function calls(): array
    {
        return $this->calls;
    }
}
