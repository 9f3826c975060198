<?php

declare(strict_types=1);

namespace Driftline\Tests\Mlflow;

use Driftline\Mlflow\ChampionHistory;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;

/** @covers \Driftline\Mlflow\ChampionHistory */
final class ChampionHistoryTest extends TestCase
{
    public function testPopAndPush(): void
    {
        $history = ChampionHistory::fromTagValue('["1", "3", "4"]');

        self::assertSame('4', $history->current());
        self::assertSame('3', $history->withoutCurrent()->current());
        self::assertSame('["1","3","4","2"]', $history->with('2')->toTagValue());
    }

    public function testAMissingTagIsAnEmptyHistoryAndIntegersAreRead(): void
    {
        self::assertNull(ChampionHistory::fromTagValue(null)->current());
        self::assertSame(['1', '2'], ChampionHistory::fromTagValue('[1, 2]')->versions());
    }

    public function testReconcilesWithAnAliasMovedByHand(): void
    {
        self::assertSame(['1', '2', '5'], ChampionHistory::fromTagValue('["1","2"]')->reconciledWith('5')->versions());
        self::assertSame(['1', '2'], ChampionHistory::fromTagValue('["1","2"]')->reconciledWith('2')->versions());
    }

    public function testRefusesATagThatIsNotAList(): void
    {
        $this->expectException(InvalidArgumentException::class);
        ChampionHistory::fromTagValue('{"a": 1}');
    }
}
