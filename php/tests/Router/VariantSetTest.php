<?php

declare(strict_types=1);

namespace Driftline\Tests\Router;

use Driftline\Router\VariantSet;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Driftline\Router\VariantSet
 * @covers \Driftline\Router\Variant
 */
final class VariantSetTest extends TestCase
{
    public function testParsesTheDocumentedFormat(): void
    {
        $set = VariantSet::fromSpec('champion=http://127.0.0.1:8000:95, challenger=http://127.0.0.1:8001/:5');

        self::assertSame(100, $set->totalWeight());
        self::assertSame(
            [['champion', 'http://127.0.0.1:8000', 95], ['challenger', 'http://127.0.0.1:8001', 5]],
            array_map(static fn ($v) => [$v->name(), $v->baseUrl(), $v->weight()], $set->all()),
        );
    }

    /** @dataProvider badSpecs */
    public function testRefusesBadSpecsWithAReason(string $spec, string $mentions): void
    {
        try {
            VariantSet::fromSpec($spec);
            self::fail('expected InvalidArgumentException');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString($mentions, $e->getMessage());
        }
    }

    /** @return iterable<string, array{string, string}> */
    public static function badSpecs(): iterable
    {
        yield 'empty' => ['', 'no variants'];
        yield 'no weight' => ['a=http://127.0.0.1:8000', 'NAME=URL:WEIGHT'];
        yield 'no colon at all' => ['a=http://host', 'NAME=URL:WEIGHT'];
        yield 'not http' => ['a=ftp://x:1', 'not an http(s) URL'];
        yield 'duplicate names' => ['a=http://x:1,a=http://y:1', 'unique'];
        yield 'all zero' => ['a=http://x:0,b=http://y:0', 'above 0'];
        yield 'bad name' => ['a b=http://x:1', 'variant name'];
    }

    public function testTheWeightLineIsLaidOutInConfiguredOrder(): void
    {
        $set = VariantSet::fromSpec('a=http://x:3,b=http://y:0,c=http://z:2');

        self::assertSame(['a', 'a', 'a', 'c', 'c'], array_map(static fn (int $p) => $set->atPoint($p)->name(), range(0, 4)));
    }

    /**
     * 20,000 distinct user keys: each variant's share must be within five
     * standard deviations of a binomial with its weight. The keys are fixed,
     * so the outcome is deterministic; the bound says the hash spreads well.
     *
     * @dataProvider splits
     */
    public function testStickySplitMatchesTheWeights(string $spec, string $variant, float $share): void
    {
        $set = VariantSet::fromSpec($spec);
        $n = 20_000;
        $hits = 0;
        for ($i = 0; $i < $n; $i++) {
            if ($set->forUserKey("user-{$i}")->name() === $variant) {
                $hits++;
            }
        }
        $sd = sqrt($n * $share * (1 - $share));

        self::assertEqualsWithDelta($n * $share, $hits, 5 * $sd);
    }

    /** @return iterable<string, array{string, string, float}> */
    public static function splits(): iterable
    {
        yield '50/50' => ['champion=http://a:50,challenger=http://b:50', 'challenger', 0.5];
        yield 'canary 5/95' => ['champion=http://a:95,challenger=http://b:5', 'challenger', 0.05];
        yield 'three ways' => ['a=http://a:1,b=http://b:1,c=http://c:2', 'c', 0.5];
    }

    public function testAUserStaysOnOneVariant(): void
    {
        $set = VariantSet::fromSpec('champion=http://a:50,challenger=http://b:50');
        $seen = [];
        foreach (['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'] as $user) {
            $first = $set->forUserKey($user)->name();
            for ($i = 0; $i < 20; $i++) {
                self::assertSame($first, $set->forUserKey($user)->name());
            }
            $seen[$first] = true;
        }
        self::assertCount(2, $seen, 'eight users should not all land on one side of a 50/50 split');
    }

    public function testMovingTheCanaryWeightMovesOnlyUsersNearTheBoundary(): void
    {
        $before = VariantSet::fromSpec('champion=http://a:95,challenger=http://b:5');
        $after = VariantSet::fromSpec('champion=http://a:90,challenger=http://b:10');
        for ($i = 0; $i < 2000; $i++) {
            if ($before->forUserKey("u{$i}")->name() === 'champion' && $after->forUserKey("u{$i}")->name() === 'champion') {
                continue;
            }
            // Nobody on the champion side of the new split came from the challenger side of the old.
            self::assertFalse($before->forUserKey("u{$i}")->name() === 'challenger' && $after->forUserKey("u{$i}")->name() === 'champion');
        }
    }
}
