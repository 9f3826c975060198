<?php

declare(strict_types=1);

namespace Driftline\Queue;

final class EnqueueResult
{
    private function __construct(
        private readonly string $model,
        private readonly EnqueueOutcome $outcome,
        private readonly ?int $jobId,
    ) {
    }

    public static function of(string $model, EnqueueOutcome $outcome, ?int $jobId): self
    {
        return new self($model, $outcome, $jobId);
    }

    public function model(): string
    {
        return $this->model;
    }

    public function outcome(): EnqueueOutcome
    {
        return $this->outcome;
    }

    /** The new job, the job already queued or running, or the last finished job (cool-down). */
    public function jobId(): ?int
    {
        return $this->jobId;
    }

    /** @return array{model: string, outcome: string, job_id: int|null} */
    public function toArray(): array
    {
        return ['model' => $this->model, 'outcome' => $this->outcome->value, 'job_id' => $this->jobId];
    }
}
