<?php

declare(strict_types=1);

namespace Driftline\Tests\Http;

use Driftline\Clock\FrozenClock;
use Driftline\Config\Settings;
use Driftline\Http\App;
use Driftline\Http\Request;
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

    private function app(): App
    {
        return App::create(Settings::fromEnvironment(['DRIFTLINE_HOME' => $this->home]), FrozenClock::at('2026-11-26T12:00:00Z'));
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
