<?php

declare(strict_types=1);

namespace Driftline\Tests\Worker;

use Driftline\Worker\GateFigures;
use Driftline\Worker\RetrainOutcome;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Driftline\Worker\GateFigures
 * @covers \Driftline\Worker\RetrainOutcome::gate
 */
final class GateFiguresTest extends TestCase
{
    public function testARegressionLineSaysMaeLowerIsBetterWithARelativeMargin(): void
    {
        $gate = RetrainOutcome::fromLine(OutcomeLine::json(['model' => 'houses', 'figures' => OutcomeLine::REGRESSION_FIGURES]))->gate();

        self::assertNotNull($gate);
        self::assertSame(['mae', 'lower', 'relative', 23706.195163, 49473.447774, 0.01], [
            $gate->metric, $gate->better, $gate->marginKind, $gate->challengerScore, $gate->championScore, $gate->margin,
        ]);
        self::assertSame("mae: challenger 23706.2, champion 49473.4 (lower is better, margin 1% of champion's)", $gate->summary());
    }

    public function testAnAccuracyLineFromBeforeTheDirectionWasWrittenReadsAsHigherIsBetter(): void
    {
        $gate = GateFigures::fromFigures(['metric' => 'accuracy', 'challenger_score' => 0.8125, 'champion_score' => 0.66, 'margin' => 0.01]);

        self::assertNotNull($gate);
        self::assertSame(['higher', 'absolute'], [$gate->better, $gate->marginKind]);
        self::assertSame('accuracy: challenger 0.8125, champion 0.66 (higher is better, margin 0.01)', $gate->summary());
    }

    /**
     * @dataProvider undecided
     * @param array<mixed> $figures
     */
    public function testALineWithoutBothScoresHasNoGate(array $figures): void
    {
        self::assertNull(GateFigures::fromFigures($figures));
    }

    /** @return iterable<string, array{array<mixed>}> */
    public static function undecided(): iterable
    {
        yield 'too few labels' => [['metric' => 'mae', 'better' => 'lower', 'recent_rows' => 12]];
        yield 'no metric' => [['challenger_score' => 1.0, 'champion_score' => 2.0]];
        yield 'text score' => [['metric' => 'mae', 'challenger_score' => 'low', 'champion_score' => 2.0]];
        yield 'nothing' => [[]];
    }

    public function testAnUnknownDirectionIsNotTakenOnTrust(): void
    {
        $gate = GateFigures::fromFigures(['metric' => 'mae', 'better' => 'sideways', 'margin_kind' => 42, 'challenger_score' => 1, 'champion_score' => 2]);

        self::assertNotNull($gate);
        self::assertSame(['higher', 'absolute', null], [$gate->better, $gate->marginKind, $gate->margin]);
        self::assertStringEndsWith('(higher is better)', $gate->summary());
    }

    public function testAStoredOutcomeThatIsNotAnObjectHasNoGate(): void
    {
        self::assertNull(GateFigures::fromOutcome(null));
        self::assertNull(GateFigures::fromOutcome(['figures' => 'none']));
    }
}
