<?php

declare(strict_types=1);

namespace Driftline\Queue;

/** How a run of the retraining command ended, as the queue records it. */
final class JobResult
{
    /** @param array<string, mixed>|null $outcome */
    private function __construct(
        private readonly JobState $state,
        private readonly ?int $exitCode,
        private readonly string $outputTail,
        private readonly ?array $outcome,
        private readonly ?string $modelVersion,
        private readonly ?string $promotion,
        private readonly ?string $error,
    ) {
    }

    /** @param array<string, mixed>|null $outcome */
    public static function succeeded(int $exitCode, string $outputTail, ?array $outcome, ?string $modelVersion, ?string $promotion): self
    {
        return new self(JobState::Succeeded, $exitCode, $outputTail, $outcome, $modelVersion, $promotion, null);
    }

    /** @param array<string, mixed>|null $outcome */
    public static function failed(?int $exitCode, string $outputTail, string $error, ?array $outcome = null, ?string $modelVersion = null, ?string $promotion = null): self
    {
        return new self(JobState::Failed, $exitCode, $outputTail, $outcome, $modelVersion, $promotion, $error);
    }

    public function state(): JobState
    {
        return $this->state;
    }

    public function exitCode(): ?int
    {
        return $this->exitCode;
    }

    public function outputTail(): string
    {
        return $this->outputTail;
    }

    /** @return array<string, mixed>|null */
    public function outcome(): ?array
    {
        return $this->outcome;
    }

    public function modelVersion(): ?string
    {
        return $this->modelVersion;
    }

    public function promotion(): ?string
    {
        return $this->promotion;
    }

    public function error(): ?string
    {
        return $this->error;
    }
}
