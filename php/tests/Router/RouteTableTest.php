<?php

declare(strict_types=1);

namespace Driftline\Tests\Router;

use Driftline\Router\RouterNotConfigured;
use Driftline\Router\RouteTable;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Driftline\Router\RouteTable
 * @covers \Driftline\Router\RouterNotConfigured
 */
final class RouteTableTest extends TestCase
{
    private const CHURN = 'champion=http://127.0.0.1:8000:95,challenger=http://127.0.0.1:8001:5';
    private const HOUSES = 'champion=http://127.0.0.1:8010:95,challenger=http://127.0.0.1:8011:5';

    public function testRoutesGiveEachModelItsOwnVariants(): void
    {
        $json = json_encode(['churn' => self::CHURN, 'houses' => self::HOUSES], JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);

        $table = RouteTable::fromEnvironment($json, null, 'churn');

        self::assertSame(['churn', 'houses'], $table->models());
        self::assertSame('churn', $table->defaultModel());
        self::assertSame('http://127.0.0.1:8010', $table->variantsFor('houses')?->all()[0]->baseUrl());
        self::assertSame(100, $table->variantsFor('churn')?->totalWeight());
        self::assertNull($table->variantsFor('fraud'));
    }

    public function testVariantsAloneAreTheDefaultModelsRoutes(): void
    {
        $table = RouteTable::fromEnvironment(null, self::CHURN, 'fraud');

        self::assertSame(['fraud'], $table->models());
        self::assertSame(['champion', 'challenger'], array_map(static fn ($v) => $v->name(), $table->variantsFor('fraud')?->all() ?? []));
    }

    public function testNeitherVariableMeansNotConfigured(): void
    {
        $this->expectException(RouterNotConfigured::class);
        $this->expectExceptionMessage('DRIFTLINE_ROUTES');
        RouteTable::fromEnvironment(null, null, 'churn');
    }

    /** @dataProvider refusals */
    public function testEachRefusalNamesTheVariableAndWhatIsWrong(?string $routes, ?string $variants, array $mentions): void
    {
        try {
            RouteTable::fromEnvironment($routes, $variants, 'churn');
            self::fail('expected InvalidArgumentException');
        } catch (InvalidArgumentException $e) {
            foreach ($mentions as $text) {
                self::assertStringContainsString($text, $e->getMessage());
            }
        }
    }

    /** @return iterable<string, array{?string, ?string, list<string>}> */
    public static function refusals(): iterable
    {
        yield 'both set' => ['{"churn": "' . self::CHURN . '"}', self::CHURN, ['DRIFTLINE_ROUTES', 'DRIFTLINE_VARIANTS', 'both']];
        yield 'not JSON' => ['churn=' . self::CHURN, null, ['DRIFTLINE_ROUTES', 'not valid JSON']];
        yield 'a list' => ['["' . self::CHURN . '"]', null, ['DRIFTLINE_ROUTES', 'JSON object', 'an array']];
        yield 'a string' => ['"' . self::CHURN . '"', null, ['DRIFTLINE_ROUTES', 'JSON object', 'a string']];
        yield 'empty object' => ['{}', null, ['DRIFTLINE_ROUTES', 'names no model']];
        yield 'spec not a string' => ['{"churn": {"champion": "http://x:1"}}', null, ['DRIFTLINE_ROUTES', 'model churn', 'an object']];
        yield 'bad model name' => ['{"churn/v2": "' . self::CHURN . '"}', null, ['DRIFTLINE_ROUTES', 'churn/v2', 'model name']];
        yield 'bad spec of one model' => ['{"churn": "' . self::CHURN . '", "houses": "champion=http://127.0.0.1:8010"}', null, ['DRIFTLINE_ROUTES', 'model houses', 'NAME=URL:WEIGHT']];
        yield 'weight forgotten' => ['{"houses": "champion=http://127.0.0.1:8010"}', null, ['model houses']];
        yield 'bad variants' => [null, 'champion=ftp://x:1', ['DRIFTLINE_VARIANTS', 'not an http(s) URL']];
    }
}
