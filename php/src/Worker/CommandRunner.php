<?php

declare(strict_types=1);

namespace Driftline\Worker;

use Closure;
use RuntimeException;

/**
 * Runs one command through proc_open without blocking on it: copies stdout
 * and stderr to a log file as they arrive, keeps the last stdout line and a
 * tail of the output, beats a heartbeat, and ends the command on timeout or
 * on a stop request (SIGTERM to its process group, SIGKILL after a grace).
 */
final class CommandRunner
{
    private const TAIL_BYTES = 4000;
    private const KILL_GRACE_SECONDS = 10.0;
    private const PIPE_GRACE_SECONDS = 2.0;

    private function __construct(
        private readonly float $timeoutSeconds,
        private readonly float $heartbeatSeconds,
    ) {
    }

    public static function create(float $timeoutSeconds, float $heartbeatSeconds): self
    {
        return new self($timeoutSeconds, $heartbeatSeconds);
    }

    /**
     * @param list<string> $argv program and arguments; run without a shell
     * @param Closure(): void $heartbeat called about every heartbeat interval
     * @param Closure(): bool $shouldStop polled; true ends the command
     */
    public function run(array $argv, string $logPath, Closure $heartbeat, Closure $shouldStop): CommandResult
    {
        // setsid gives the command its own process group, so a timeout or a
        // stop ends its children too, not only the direct child.
        if (is_executable('/usr/bin/setsid') && function_exists('posix_kill')) {
            $argv = ['/usr/bin/setsid', ...$argv];
        }
        $log = fopen($logPath, 'ab');
        if ($log === false) {
            throw new RuntimeException("cannot open job log {$logPath}");
        }
        $process = proc_open($argv, [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        if (!is_resource($process)) {
            fclose($log);
            throw new RuntimeException('cannot start ' . implode(' ', $argv));
        }
        stream_set_blocking($pipes[1], false);
        stream_set_blocking($pipes[2], false);
        // proc_get_status reports the exit code only once, on the first call
        // after the process ended, and a quick command may already have ended.
        $status = proc_get_status($process);
        $pid = (int) $status['pid'];

        $started = microtime(true);
        $lastBeat = $started;
        $tail = '';
        $stdoutRest = '';
        $lastLine = null;
        $open = [1 => $pipes[1], 2 => $pipes[2]];
        $exited = !$status['running'];
        $exitedAt = $exited ? microtime(true) : null;
        $exitCode = $exited ? self::exitCodeOf($status) : null;
        $timedOut = false;
        $stopped = false;
        $termSentAt = null;

        while (true) {
            if ($open !== []) {
                $read = array_values($open);
                $write = null;
                $except = null;
                // Interrupted by a signal, stream_select returns false; the loop just goes on.
                $ready = @stream_select($read, $write, $except, 0, 200_000);
                if ($ready !== false && $ready > 0) {
                    foreach ($open as $fd => $pipe) {
                        if (!in_array($pipe, $read, true)) {
                            continue;
                        }
                        $chunk = fread($pipe, 65536);
                        if ($chunk === false || ($chunk === '' && feof($pipe))) {
                            fclose($pipe);
                            unset($open[$fd]);
                            continue;
                        }
                        fwrite($log, $chunk);
                        $tail = substr($tail . $chunk, -self::TAIL_BYTES);
                        if ($fd === 1) {
                            [$stdoutRest, $lastLine] = self::trackLastLine($stdoutRest . $chunk, $lastLine);
                        }
                    }
                }
            } else {
                usleep(50_000);
            }
            if (!$exited) {
                $status = proc_get_status($process);
                if (!$status['running']) {
                    $exited = true;
                    $exitedAt = microtime(true);
                    $exitCode = self::exitCodeOf($status);
                }
            }
            if ($exited && $open === []) {
                break;
            }
            $now = microtime(true);
            if ($now - $lastBeat >= $this->heartbeatSeconds) {
                $heartbeat();
                $lastBeat = $now;
            }
            if (!$exited && $termSentAt === null) {
                if ($now - $started > $this->timeoutSeconds) {
                    $timedOut = true;
                } elseif ($shouldStop()) {
                    $stopped = true;
                }
                if ($timedOut || $stopped) {
                    self::signal($process, $pid, 15);
                    $termSentAt = $now;
                }
            } elseif (!$exited && $termSentAt !== null && $now - $termSentAt > self::KILL_GRACE_SECONDS) {
                self::signal($process, $pid, 9);
                $termSentAt = $now;
            }
            if ($exited && $open !== [] && $now - (float) $exitedAt > self::PIPE_GRACE_SECONDS) {
                // A grandchild may hold the pipes open after the command ended; do not wait for it.
                foreach ($open as $pipe) {
                    fclose($pipe);
                }
                $open = [];
            }
        }
        proc_close($process);
        if (trim($stdoutRest) !== '') {
            $lastLine = $stdoutRest;
        }
        fclose($log);
        return CommandResult::of($exitCode, $timedOut, $stopped, $lastLine === null ? null : trim($lastLine), $tail);
    }

    /** @return array{0: string, 1: ?string} the unfinished rest, and the last complete non-empty line */
    private static function trackLastLine(string $buffer, ?string $lastLine): array
    {
        $lines = explode("\n", $buffer);
        $rest = array_pop($lines);
        foreach ($lines as $line) {
            if (trim($line) !== '') {
                $lastLine = $line;
            }
        }
        return [(string) $rest, $lastLine];
    }

    /** @param array<string, mixed> $status from proc_get_status */
    private static function exitCodeOf(array $status): int
    {
        return $status['signaled'] ? 128 + (int) $status['termsig'] : (int) $status['exitcode'];
    }

    /** @param resource $process */
    private static function signal($process, int $pid, int $signal): void
    {
        // With setsid the command leads its own group: signal the whole group.
        if (function_exists('posix_kill') && @posix_kill(-$pid, $signal)) {
            return;
        }
        proc_terminate($process, $signal);
    }
}
