<?php

declare(strict_types=1);

namespace Driftline\Tests\Worker;

use Driftline\Worker\CommandRunner;
use PHPUnit\Framework\TestCase;

/**
 * Runs real processes through /bin/sh.
 *
 * @covers \Driftline\Worker\CommandRunner
 * @covers \Driftline\Worker\CommandResult
 */
final class CommandRunnerTest extends TestCase
{
    private string $log;

    protected function setUp(): void
    {
        $this->log = (string) tempnam(sys_get_temp_dir(), 'driftline-job-log-');
    }

    protected function tearDown(): void
    {
        @unlink($this->log);
    }

    public function testRecordsExitCodeLastStdoutLineAndBothStreamsInTheLog(): void
    {
        $runner = CommandRunner::create(30, 10);
        $result = $runner->run(
            ['/bin/sh', '-c', 'echo first; echo oops >&2; printf "last line without newline"; exit 4'],
            $this->log,
            static function (): void {
            },
            static fn (): bool => false,
        );

        self::assertSame(4, $result->exitCode());
        self::assertSame('last line without newline', $result->lastStdoutLine());
        self::assertFalse($result->timedOut());
        $log = (string) file_get_contents($this->log);
        self::assertStringContainsString('first', $log);
        self::assertStringContainsString('oops', $log);
        self::assertStringContainsString('oops', $result->outputTail());
    }

    /**
     * A command may end before the runner first asks for its status; PHP
     * reports an exit code only once, so that first answer must be kept.
     */
    public function testACommandThatEndsAtOnceStillReportsItsExitCode(): void
    {
        $runner = CommandRunner::create(30, 10);
        for ($i = 0; $i < 25; $i++) {
            $result = $runner->run(['/bin/sh', '-c', 'exit 5'], $this->log, static function (): void {
            }, static fn (): bool => false);
            self::assertSame(5, $result->exitCode(), "run {$i}");
        }
    }

    public function testTheLastNonEmptyLineCountsAndTheTailIsBounded(): void
    {
        $runner = CommandRunner::create(30, 10);
        $result = $runner->run(
            ['/bin/sh', '-c', 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; echo "{\"ok\":1}"; echo; echo'],
            $this->log,
            static function (): void {
            },
            static fn (): bool => false,
        );

        self::assertSame(0, $result->exitCode());
        self::assertSame('{"ok":1}', $result->lastStdoutLine());
        self::assertLessThanOrEqual(4000, strlen($result->outputTail()));
        self::assertStringContainsString('line 1999', $result->outputTail());
    }

    public function testATimeoutEndsTheCommandAndItsChildren(): void
    {
        $runner = CommandRunner::create(0.5, 0.1);
        $beats = 0;
        $pidFile = $this->log . '.pid';
        $result = $runner->run(
            ['/bin/sh', '-c', 'sleep 30 & echo $! > "$0"; sleep 30; echo never', $pidFile],
            $this->log,
            static function () use (&$beats): void {
                $beats++;
            },
            static fn (): bool => false,
        );

        self::assertTrue($result->timedOut());
        self::assertSame(128 + 15, $result->exitCode());
        self::assertNull($result->lastStdoutLine());
        self::assertGreaterThan(0, $beats);
        $child = (int) file_get_contents($pidFile);
        unlink($pidFile);
        self::assertGreaterThan(0, $child);
        self::assertTrue(self::goneWithin($child, 3.0), "background child {$child} outlived the timeout");
    }

    /** A process is gone when /proc has no entry or only a zombie awaiting its reaper. */
    private static function goneWithin(int $pid, float $seconds): bool
    {
        $until = microtime(true) + $seconds;
        do {
            $stat = @file_get_contents("/proc/{$pid}/stat");
            if ($stat === false || preg_match('/\) Z /', $stat) === 1) {
                return true;
            }
            usleep(50_000);
        } while (microtime(true) < $until);
        return false;
    }

    public function testAStopRequestEndsTheCommand(): void
    {
        $runner = CommandRunner::create(30, 10);
        $polls = 0;
        $result = $runner->run(
            ['/bin/sh', '-c', 'echo started; exec sleep 30'],
            $this->log,
            static function (): void {
            },
            static function () use (&$polls): bool {
                return ++$polls > 3;
            },
        );

        self::assertTrue($result->stopped());
        self::assertFalse($result->timedOut());
        self::assertSame('started', $result->lastStdoutLine());
    }
}
