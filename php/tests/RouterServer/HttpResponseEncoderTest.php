<?php

declare(strict_types=1);

namespace Driftline\Tests\RouterServer;

use Driftline\Http\Response;
use Driftline\RouterServer\HttpResponseEncoder;
use PHPUnit\Framework\TestCase;

/** @covers \Driftline\RouterServer\HttpResponseEncoder */
final class HttpResponseEncoderTest extends TestCase
{
    public function testKeptAliveAnswerIsFramedByItsLength(): void
    {
        $bytes = HttpResponseEncoder::encode(Response::json(200, ['a' => 1])->withHeader('X-Driftline-Variant', 'champion'), true);

        [$head, $body] = explode("\r\n\r\n", $bytes, 2);
        $lines = explode("\r\n", $head);
        self::assertSame('HTTP/1.1 200 OK', $lines[0]);
        self::assertMatchesRegularExpression('/^Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/', $lines[1]);
        self::assertSame(['X-Driftline-Variant: champion', 'Content-Type: application/json', 'Content-Length: 8'], array_slice($lines, 2));
        self::assertSame("{\"a\":1}\n", $body);
    }

    public function testConnectionHeaderSaysWhatHappensToTheConnection(): void
    {
        $error = Response::error(413, 'payload_too_large', 'too big');

        self::assertStringContainsString("HTTP/1.1 413 Content Too Large\r\n", HttpResponseEncoder::encode($error, false));
        self::assertStringContainsString("\r\nConnection: close\r\n", HttpResponseEncoder::encode($error, false));
        self::assertStringContainsString("\r\nConnection: keep-alive\r\n", HttpResponseEncoder::encode($error, true, true));
        self::assertStringNotContainsString('Connection:', HttpResponseEncoder::encode($error, true));
    }

    public function testAnAnswerToHeadHasTheLengthOfTheBodyButNotTheBody(): void
    {
        $bytes = HttpResponseEncoder::encode(Response::json(405, ['a' => 1]), true, false, true);

        self::assertStringEndsWith("Content-Length: 8\r\n\r\n", $bytes);
    }
}
