<?php

declare(strict_types=1);

namespace Driftline\RouterServer;

use Closure;
use RuntimeException;

/**
 * Keeps N forked worker processes running: each runs the given closure (its own loop on
 * the socket the parent opened before forking) and exits with its result. A worker that
 * dies while the server is running is replaced (after a second if it lived less than one,
 * so a worker that crashes at start does not fork in a tight loop). SIGTERM or SIGINT is
 * passed on to every worker; run() returns once all have exited.
 */
final class Prefork
{
    /** @var array<int, float> start time of each worker, by pid */
    private array $workers = [];
    private bool $stopping = false;

    /** @param Closure(): int $work */
    private function __construct(private readonly int $count, private readonly Closure $work, private readonly Closure $say)
    {
    }

    /**
     * @param Closure(): int $work runs in each worker, returns its exit code; sets its own SIGTERM handler
     * @param Closure(string): void $say one line to the server log
     */
    public static function of(int $count, Closure $work, Closure $say): self
    {
        if ($count < 1) {
            throw new RuntimeException("a server needs at least one worker, not {$count}");
        }
        return new self($count, $work, $say);
    }

    public function run(): int
    {
        pcntl_async_signals(true);
        $stop = function (): void {
            $this->stopping = true;
            foreach (array_keys($this->workers) as $pid) {
                posix_kill($pid, SIGTERM);
            }
        };
        pcntl_signal(SIGTERM, $stop, false); // false: interrupt pcntl_wait, so the handler runs
        pcntl_signal(SIGINT, $stop, false);
        for ($i = 0; $i < $this->count; $i++) {
            $this->fork();
        }
        while ($this->workers !== []) {
            $pid = pcntl_wait($status);
            if ($pid <= 0) {
                continue; // interrupted by a signal
            }
            $started = $this->workers[$pid] ?? microtime(true);
            unset($this->workers[$pid]);
            if ($this->stopping) {
                continue;
            }
            $how = pcntl_wifsignaled($status) ? 'signal ' . pcntl_wtermsig($status) : 'exit code ' . pcntl_wexitstatus($status);
            ($this->say)("driftline router: worker {$pid} ended ({$how}); starting another");
            if (microtime(true) - $started < 1.0) {
                sleep(1);
            }
            if (!$this->stopping) {
                $this->fork();
            }
        }
        return 0;
    }

    private function fork(): void
    {
        $pid = pcntl_fork();
        if ($pid === -1) {
            throw new RuntimeException('cannot fork a router worker: ' . pcntl_strerror(pcntl_get_last_error()));
        }
        if ($pid === 0) {
            // The worker's own handlers: stop after the request in hand.
            pcntl_signal(SIGTERM, SIG_DFL);
            pcntl_signal(SIGINT, SIG_DFL);
            exit(($this->work)());
        }
        $this->workers[$pid] = microtime(true);
    }
}
