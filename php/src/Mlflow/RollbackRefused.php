<?php

declare(strict_types=1);

namespace Driftline\Mlflow;

use RuntimeException;

/** A rollback that would be wrong (unknown version, no previous champion); nothing was changed. */
final class RollbackRefused extends RuntimeException
{
}
