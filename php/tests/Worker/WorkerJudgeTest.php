<?php

declare(strict_types=1);

namespace Driftline\Tests\Worker;

use Driftline\Queue\JobState;
use Driftline\Worker\CommandResult;
use Driftline\Worker\RetrainOutcome;
use Driftline\Worker\Worker;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Driftline\Worker\Worker::judge
 * @covers \Driftline\Worker\Worker::decision
 * @covers \Driftline\Worker\RetrainOutcome
 * @covers \Driftline\Worker\CommandResult
 */
final class WorkerJudgeTest extends TestCase
{
    public function testExitZeroWithAPromotedOutcomeSucceeds(): void
    {
        $result = Worker::judge(CommandResult::of(0, false, false, OutcomeLine::json(), 'log'));

        self::assertSame([JobState::Succeeded, '4', 'promoted', null], [$result->state(), $result->modelVersion(), $result->promotion(), $result->error()]);
    }

    public function testARejectedChallengerIsStillASuccessfulJob(): void
    {
        $result = Worker::judge(CommandResult::of(0, false, false, OutcomeLine::json(['status' => 'rejected', 'champion_after' => '3']), ''));

        self::assertSame([JobState::Succeeded, 'rejected'], [$result->state(), $result->promotion()]);
    }

    public function testTheDecisionNamesTheGatesMetricAndDirection(): void
    {
        $regression = Worker::judge(CommandResult::of(0, false, false, OutcomeLine::json(['figures' => OutcomeLine::REGRESSION_FIGURES]), ''));
        $failed = Worker::judge(CommandResult::of(3, false, false, 'Traceback ...', ''));

        self::assertSame(
            ", promoted; mae: challenger 23706.2, champion 49473.4 (lower is better, margin 1% of champion's)",
            Worker::decision($regression),
        );
        self::assertSame('', Worker::decision($failed));
    }

    /** @dataProvider failures */
    public function testFailures(CommandResult $command, string $errorMentions): void
    {
        $result = Worker::judge($command);

        self::assertSame(JobState::Failed, $result->state());
        self::assertStringContainsString($errorMentions, (string) $result->error());
        self::assertSame($command->outputTail(), $result->outputTail());
    }

    /** @return iterable<string, array{CommandResult, string}> */
    public static function failures(): iterable
    {
        yield 'non-zero exit' => [CommandResult::of(3, false, false, 'Traceback ...', 'Traceback ...'), 'exited with code 3'];
        yield 'non-zero exit with failed outcome' => [
            CommandResult::of(1, false, false, OutcomeLine::json(['status' => 'failed', 'message' => 'no labelled data']), ''),
            'no labelled data',
        ];
        yield 'exit 0 without outcome' => [CommandResult::of(0, false, false, 'done', 'done'), 'no valid outcome line'];
        yield 'exit 0, no output' => [CommandResult::of(0, false, false, null, ''), 'no output line'];
        yield 'exit 0, failed outcome' => [CommandResult::of(0, false, false, OutcomeLine::json(['status' => 'failed']), ''), 'despite exit code 0'];
        yield 'timeout' => [CommandResult::of(143, true, false, null, 'partial'), 'timed out'];
    }

    /** @dataProvider badOutcomes */
    public function testOutcomeLineIsChecked(string $line, string $mentions): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage($mentions);
        RetrainOutcome::fromLine($line);
    }

    /** @return iterable<string, array{string, string}> */
    public static function badOutcomes(): iterable
    {
        yield 'not json' => ['INFO done', 'not a JSON object'];
        yield 'other schema' => [OutcomeLine::json(['schema' => 'x']), 'schema is not'];
        yield 'newer version' => [OutcomeLine::json(['schema_version' => 2]), 'schema_version'];
        yield 'unknown status' => [OutcomeLine::json(['status' => 'maybe']), 'status must be'];
    }
}
