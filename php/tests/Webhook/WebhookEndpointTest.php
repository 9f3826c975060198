<?php

declare(strict_types=1);

namespace Driftline\Tests\Webhook;

use Driftline\Http\Request;
use Driftline\Tests\Queue\QueueFixture;
use Driftline\Webhook\AlertIntake;
use Driftline\Webhook\BearerToken;
use Driftline\Webhook\WebhookEndpoint;
use Driftline\Webhook\NotificationRetention;
use Driftline\Webhook\WebhookLog;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Driftline\Webhook\WebhookEndpoint
 * @covers \Driftline\Webhook\BearerToken
 * @covers \Driftline\Http\Request
 * @covers \Driftline\Http\Response
 */
final class WebhookEndpointTest extends TestCase
{
    private const TOKEN = 's3cret-token';
    private QueueFixture $fixture;
    private WebhookLog $log;

    protected function setUp(): void
    {
        $this->fixture = QueueFixture::create();
        $this->log = WebhookLog::on($this->fixture->pdo(), $this->fixture->clock(), NotificationRetention::of(0));
    }

    protected function tearDown(): void
    {
        $this->fixture->remove();
    }

    private function endpoint(?BearerToken $token = null, int $maxBytes = 65536): WebhookEndpoint
    {
        $token ??= BearerToken::fromString(self::TOKEN);
        return WebhookEndpoint::with($token, $maxBytes, AlertIntake::with($this->fixture->queue(), $this->log), $this->log);
    }

    /** @param array<string, string> $headers */
    private static function post(string $body, array $headers): Request
    {
        return Request::create('POST', '/alerts', $headers + ['Content-Type' => 'application/json; charset=utf-8', 'Authorization' => 'Bearer ' . self::TOKEN], $body);
    }

    private static function validBody(): string
    {
        return PayloadFixture::json(PayloadFixture::notification([PayloadFixture::alert()]));
    }

    /**
     * @dataProvider rejected
     * @param array<string, string> $headers
     */
    public function testRejectedRequestsQueueNothing(string $body, array $headers, int $status, string $code, string $counted): void
    {
        $response = $this->endpoint(null, 4096)->handle(self::post($body, $headers));

        self::assertSame($status, $response->status());
        self::assertSame($code, $response->decodedBody()['error']['code']);
        self::assertSame([], $this->fixture->queue()->list());
        self::assertSame(1, $this->log->outcomeCounts()[$counted]);
    }

    /** @return iterable<string, array{string, array<string, string>, int, string, string}> */
    public static function rejected(): iterable
    {
        $valid = self::validBody();
        yield 'no token' => [$valid, ['Authorization' => ''], 401, 'unauthorized', 'unauthorized'];
        yield 'wrong token' => [$valid, ['Authorization' => 'Bearer s3cret-tokem'], 401, 'unauthorized', 'unauthorized'];
        yield 'basic auth' => [$valid, ['Authorization' => 'Basic ' . base64_encode('a:' . self::TOKEN)], 401, 'unauthorized', 'unauthorized'];
        yield 'form content type' => [$valid, ['Content-Type' => 'application/x-www-form-urlencoded'], 415, 'unsupported_media_type', 'rejected'];
        yield 'oversize' => [str_pad($valid, 5000, ' '), [], 413, 'payload_too_large', 'rejected'];
        yield 'bad JSON' => ['{"version":', [], 400, 'invalid_payload', 'rejected'];
    }

    public function testAValidNotificationIsAccepted(): void
    {
        $response = $this->endpoint()->handle(self::post(self::validBody(), []));

        self::assertSame(202, $response->status());
        self::assertSame('queued', $response->decodedBody()['status']);
        self::assertCount(1, $this->fixture->queue()->list());
    }

    public function testWithoutAConfiguredTokenEveryRequestIsRefused(): void
    {
        $log = $this->log;
        $endpoint = WebhookEndpoint::with(null, 4096, AlertIntake::with($this->fixture->queue(), $log), $log);

        $response = $endpoint->handle(self::post(self::validBody(), []));

        self::assertSame(503, $response->status());
        self::assertSame([], $this->fixture->queue()->list());
    }

    public function testTokenFileIsTrimmedAndAnEmptyFileIsRefused(): void
    {
        $file = tempnam(sys_get_temp_dir(), 'tok');
        file_put_contents($file, self::TOKEN . "\n");
        self::assertTrue(BearerToken::fromFile($file)->admits('Bearer ' . self::TOKEN));
        file_put_contents($file, "  \n");
        try {
            $this->expectException(\RuntimeException::class);
            BearerToken::fromFile($file);
        } finally {
            unlink($file);
        }
    }
}
