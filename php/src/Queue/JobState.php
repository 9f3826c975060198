<?php

declare(strict_types=1);

namespace Driftline\Queue;

/** A retraining job's life: queued -> running -> succeeded | failed (running -> queued when a worker is lost). */
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
}
