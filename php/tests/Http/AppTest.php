<?php

declare(strict_types=1);

namespace Driftline\Tests\Http;

use Driftline\Clock\FrozenClock;
use Driftline\Config\Settings;
use Driftline\Http\App;
use Driftline\Http\Request;
use Driftline\Http\Response;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Driftline\Http\App
 * @covers \Driftline\Http\JobsEndpoint
 */
final class AppTest extends TestCase
{
    private string $home;

    protected function setUp(): void
    {
        $this->home = sys_get_temp_dir() . '/driftline-app-' . bin2hex(random_bytes(4));
    }

    protected function tearDown(): void
    {
        foreach (['receiver/queue.db', 'receiver/queue.db-wal', 'receiver/queue.db-shm'] as $file) {
            @unlink("{$this->home}/{$file}");
        }
        @rmdir("{$this->home}/receiver");
        @rmdir($this->home);
    }

    /** @param array<string, string> $env */
    private function app(array $env = []): App
    {
        return App::create(Settings::fromEnvironment(['DRIFTLINE_HOME' => $this->home] + $env), FrozenClock::at('2026-11-26T12:00:00Z'));
    }

    private static function predict(App $app, string $path): Response
    {
        return $app->handle(Request::create('POST', $path, ['Content-Type' => 'application/json'], '{"record": {}}'));
    }

    public function testAnUnknownModelIs404NamingItAndTheRoutedOnes(): void
    {
        $app = $this->app(['DRIFTLINE_ROUTES' => '{"churn": "champion=http://127.0.0.1:9:1", "houses": "champion=http://127.0.0.1:9:1"}']);

        $answer = self::predict($app, '/predict/fraud');

        self::assertSame(404, $answer->status());
        $body = $answer->decodedBody();
        self::assertSame(['unknown_model', 'model', ['churn', 'houses']], [$body['error']['code'], $body['error']['field'], $body['models']]);
        self::assertStringContainsString('"fraud"', $body['error']['message']);
        self::assertStringContainsString('churn, houses', $body['error']['message']);
        self::assertSame(405, $app->handle(Request::create('GET', '/predict/churn'))->status());
    }

    public function testMalformedRoutesAre503NamingTheVariableOnPredictOnly(): void
    {
        $app = $this->app(['DRIFTLINE_ROUTES' => '{"churn": 5}']);

        foreach (['/predict', '/predict/churn'] as $path) {
            $answer = self::predict($app, $path);
            self::assertSame([503, 'router_misconfigured'], [$answer->status(), $answer->decodedBody()['error']['code']], $path);
            self::assertStringContainsString('DRIFTLINE_ROUTES', $answer->decodedBody()['error']['message']);
        }
        self::assertSame(200, $app->handle(Request::create('GET', '/health'))->status());
    }

    public function testTheDefaultModelWithoutARouteIs503NamingBothVariables(): void
    {
        $app = $this->app(['DRIFTLINE_ROUTES' => '{"houses": "champion=http://127.0.0.1:9:1"}', 'DRIFTLINE_MODEL_NAME' => 'churn']);

        $answer = self::predict($app, '/predict');

        self::assertSame(503, $answer->status());
        foreach (['churn', 'DRIFTLINE_MODEL_NAME', 'DRIFTLINE_ROUTES', 'houses'] as $text) {
            self::assertStringContainsString($text, $answer->decodedBody()['error']['message']);
        }
    }

    public function testUnknownPathsAndMethodsAreJsonErrors(): void
    {
        $missing = $this->app()->handle(Request::create('GET', '/nowhere'));
        $wrongMethod = $this->app()->handle(Request::create('DELETE', '/jobs'));

        self::assertSame([404, 'not_found'], [$missing->status(), $missing->decodedBody()['error']['code']]);
        self::assertSame([405, 'GET'], [$wrongMethod->status(), $wrongMethod->header('Allow')]);
    }

    public function testHealthJobsAndATrailingSlash(): void
    {
        self::assertSame(200, $this->app()->handle(Request::create('GET', '/health'))->status());
        $jobs = $this->app()->handle(Request::create('GET', '/jobs/'));
        self::assertSame(200, $jobs->status());
        self::assertSame([], $jobs->decodedBody()['jobs']);
        self::assertSame(404, $this->app()->handle(Request::create('GET', '/jobs/abc'))->status());
    }

    public function testWithoutATokenFileTheWebhookRefusesAndWithoutVariantsPredictDoes(): void
    {
        $alerts = $this->app()->handle(Request::create('POST', '/alerts', ['Content-Type' => 'application/json'], '{}'));
        $predict = $this->app()->handle(Request::create('POST', '/predict', ['Content-Type' => 'application/json'], '{}'));

        self::assertSame(503, $alerts->status());
        self::assertStringContainsString('DRIFTLINE_WEBHOOK_TOKEN_FILE', $alerts->decodedBody()['error']['message']);
        self::assertSame(503, $predict->status());
    }
}
