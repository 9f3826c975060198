<?php

declare(strict_types=1);

namespace Driftline\Worker;

/** Set by SIGTERM/SIGINT (pcntl), read by the worker loop and the command runner. */
final class StopFlag
{
    private bool $raised = false;

    private function __construct()
    {
    }

    /** Installs async handlers for SIGTERM and SIGINT when pcntl is loaded. */
    public static function onSignals(): self
    {
        $flag = new self();
        if (function_exists('pcntl_async_signals')) {
            pcntl_async_signals(true);
            $raise = static function () use ($flag): void {
                $flag->raise();
            };
            pcntl_signal(SIGTERM, $raise);
            pcntl_signal(SIGINT, $raise);
        }
        return $flag;
    }

    public static function lowered(): self
    {
        return new self();
    }

    public function raise(): void
    {
        $this->raised = true;
    }

    public function isRaised(): bool
    {
        return $this->raised;
    }
}
