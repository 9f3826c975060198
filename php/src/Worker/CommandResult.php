<?php

declare(strict_types=1);

namespace Driftline\Worker;

/** How one run of the retraining command ended. */
final class CommandResult
{
    private function __construct(
        private readonly ?int $exitCode,
        private readonly bool $timedOut,
        private readonly bool $stopped,
        private readonly ?string $lastStdoutLine,
        private readonly string $outputTail,
    ) {
    }

    public static function of(?int $exitCode, bool $timedOut, bool $stopped, ?string $lastStdoutLine, string $outputTail): self
    {
        return new self($exitCode, $timedOut, $stopped, $lastStdoutLine, $outputTail);
    }

    /** The process's exit code; 128 + N when signal N ended it (as shells report it). */
    public function exitCode(): ?int
    {
        return $this->exitCode;
    }

    public function timedOut(): bool
    {
        return $this->timedOut;
    }

    /** The worker was asked to stop and ended the command. */
    public function stopped(): bool
    {
        return $this->stopped;
    }

    public function lastStdoutLine(): ?string
    {
        return $this->lastStdoutLine;
    }

    public function outputTail(): string
    {
        return $this->outputTail;
    }
}
