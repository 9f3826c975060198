<?php

declare(strict_types=1);

namespace Driftline\Queue;

/** What asking for a retraining job did. Values are webhook outcomes of the metric catalog. */
enum EnqueueOutcome: string
{
    case Queued = 'queued';
    case Duplicate = 'duplicate';
    case Cooldown = 'cooldown';
}
