<?php

declare(strict_types=1);

namespace Driftline\Tests\Router;

use Driftline\Router\ModelRouter;
use Driftline\Router\VariantSet;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Driftline\Router\ModelRouter
 * @covers \Driftline\Router\RoutedAnswer
 * @covers \Driftline\Router\UpstreamAnswer
 */
final class ModelRouterTest extends TestCase
{
    private static function variants(): VariantSet
    {
        return VariantSet::fromSpec('champion=http://127.0.0.1:8000:95,challenger=http://127.0.0.1:8001:5');
    }

    public function testTheChosenVariantAnswers(): void
    {
        $client = ScriptedInferenceClient::answering(['champion' => 200, 'challenger' => 200]);
        $router = ModelRouter::create(self::variants(), $client, static fn (int $n): int => 97);

        $answer = $router->route('/predict', '{"record":{}}', null);

        self::assertSame(['challenger', 'challenger', false], [$answer->chosen(), $answer->answeredBy(), $answer->isFallback()]);
        self::assertSame(['challenger'], $client->calls());
    }

    public function testFallsBackWhenTheChosenVariantDoesNotAnswer(): void
    {
        $client = ScriptedInferenceClient::answering(['champion' => 200, 'challenger' => null]);
        $router = ModelRouter::create(self::variants(), $client, static fn (int $n): int => 99);

        $answer = $router->route('/predict', '{}', null);

        self::assertSame(['challenger', 'champion', true], [$answer->chosen(), $answer->answeredBy(), $answer->isFallback()]);
        self::assertSame(['challenger: connection refused'], $answer->failures());
    }

    public function testFallsBackOnA5xxButPassesA4xxThrough(): void
    {
        $unwell = ModelRouter::create(self::variants(), ScriptedInferenceClient::answering(['champion' => 503, 'challenger' => 200]), static fn (int $n): int => 0);
        $refusing = ModelRouter::create(self::variants(), ScriptedInferenceClient::answering(['champion' => 400, 'challenger' => 200]), static fn (int $n): int => 0);

        self::assertSame('challenger', $unwell->route('/predict', '{}', null)->answeredBy());
        $passed = $refusing->route('/predict', '{}', null);
        self::assertSame(['champion', 400], [$passed->answeredBy(), $passed->answer()?->status()]);
    }

    public function testWhenNoVariantAnswersTheFailuresAreKept(): void
    {
        $router = ModelRouter::create(self::variants(), ScriptedInferenceClient::answering([]), static fn (int $n): int => 0);

        $answer = $router->route('/predict', '{}', null);

        self::assertNull($answer->answeredBy());
        self::assertCount(2, $answer->failures());
    }

    public function testAUserKeyIsStickyWhateverTheRandomSource(): void
    {
        $counter = 0;
        $router = ModelRouter::create(self::variants(), ScriptedInferenceClient::answering([]), static function (int $n) use (&$counter): int {
            return $counter++ % $n;
        });
        $first = $router->choose('user-42')->name();

        for ($i = 0; $i < 50; $i++) {
            self::assertSame($first, $router->choose('user-42')->name());
        }
        self::assertSame(0, $counter, 'a keyed request draws no random number');
    }

    public function testWithoutAUserKeyTheRandomSourceSplitsByWeight(): void
    {
        $router = ModelRouter::create(self::variants(), ScriptedInferenceClient::answering([]), static fn (int $n): int => random_int(0, $n - 1));
        $n = 20_000;
        $challenger = 0;
        for ($i = 0; $i < $n; $i++) {
            $challenger += $router->choose(null)->name() === 'challenger' ? 1 : 0;
        }
        // Five standard deviations of Binomial(20000, 0.05): fails by chance about once in 3.5 million runs.
        self::assertEqualsWithDelta($n * 0.05, $challenger, 5 * sqrt($n * 0.05 * 0.95));
    }
}
