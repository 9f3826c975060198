<?php

declare(strict_types=1);

namespace Driftline\Router;

use RuntimeException;

/** Neither DRIFTLINE_ROUTES nor DRIFTLINE_VARIANTS is set: the router is off, not broken. */
final class RouterNotConfigured extends RuntimeException
{
}
