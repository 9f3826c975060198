<?php

declare(strict_types=1);

namespace Driftline\Queue;

/**
 * A retraining job's life: queued -> running -> succeeded | failed (running -> queued when a worker is lost).
 *
 * The one PHP definition of the states: the jobs table's CHECK and active-job index
 * (Database) and every query of JobQueue are built from these cases. They equal
 * SharedContract::JOB_STATES (JobStateTest), which tests/php/test_contract.py compares
 * with the source of truth, JOB_STATES in driftline/metric_catalog.py.
 */
enum JobState: string
{
    case Queued = 'queued';
    case Running = 'running';
    case Succeeded = 'succeeded';
    case Failed = 'failed';

    public function isActive(): bool
    {
        return $this === self::Queued || $this === self::Running;
    }

    /** @return list<self> the states of a model's one active job, in declaration order */
    public static function active(): array
    {
        return array_values(array_filter(self::cases(), static fn (self $state): bool => $state->isActive()));
    }

    /** @return list<string> every state's stored value, in declaration order */
    public static function values(): array
    {
        return array_map(static fn (self $state): string => $state->value, self::cases());
    }
}
