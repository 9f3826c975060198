<?php

declare(strict_types=1);

namespace Driftline\Router;

/** The router's result: who was chosen, who answered, what failed on the way. */
final class RoutedAnswer
{
    /** @param list<string> $failures */
    private function __construct(
        private readonly string $chosen,
        private readonly ?string $answeredBy,
        private readonly ?UpstreamAnswer $answer,
        private readonly array $failures,
    ) {
    }

    /** @param list<string> $failures */
    public static function answered(string $chosen, string $answeredBy, UpstreamAnswer $answer, array $failures): self
    {
        return new self($chosen, $answeredBy, $answer, $failures);
    }

    /** @param list<string> $failures */
    public static function unanswered(string $chosen, array $failures): self
    {
        return new self($chosen, null, null, $failures);
    }

    public function chosen(): string
    {
        return $this->chosen;
    }

    public function answeredBy(): ?string
    {
        return $this->answeredBy;
    }

    public function answer(): ?UpstreamAnswer
    {
        return $this->answer;
    }

    public function isFallback(): bool
    {
        return $this->answeredBy !== null && $this->answeredBy !== $this->chosen;
    }

    /** @return list<string> */
    public function failures(): array
    {
        return $this->failures;
    }
}
