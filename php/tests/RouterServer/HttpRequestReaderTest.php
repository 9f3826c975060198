<?php

declare(strict_types=1);

namespace Driftline\Tests\RouterServer;

use Driftline\RouterServer\HttpRequestReader;
use Driftline\RouterServer\IncomingRequest;
use Driftline\RouterServer\RequestRefused;
use Driftline\Tests\SocketPairs;
use PHPUnit\Framework\TestCase;

/**
 * The request reader on a real socket pair: what the client end writes (then closes,
 * unless told to keep it open) is what the reader gets on the server end.
 *
 * @covers \Driftline\RouterServer\HttpRequestReader
 * @covers \Driftline\RouterServer\IncomingRequest
 * @covers \Driftline\RouterServer\RequestRefused
 */
final class HttpRequestReaderTest extends TestCase
{
    use SocketPairs;

    private const LIMIT = 64;

    private function read(string $bytes, bool $clientCloses = true): ?IncomingRequest
    {
        return HttpRequestReader::read($this->readingEnd($bytes, $clientCloses), self::LIMIT, 0.2);
    }

    /** @return array{int, string, string} status, error code, message */
    private function refusal(string $bytes, bool $clientCloses = true): array
    {
        try {
            $this->read($bytes, $clientCloses);
        } catch (RequestRefused $e) {
            $error = $e->response()->decodedBody()['error'];
            return [$e->response()->status(), $error['code'], $error['message']];
        }
        self::fail('the request was not refused');
    }

    public function testTwoRequestsOnOneConnectionAreReadOneAfterTheOther(): void
    {
        $body = '{"record": {}}';
        $one = "POST /predict/churn?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nX-User-Key: ann\r\nContent-Length: " . strlen($body) . "\r\n\r\n{$body}";
        $server = $this->readingEnd($one . "GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

        $first = HttpRequestReader::read($server, self::LIMIT, 0.2);
        $second = HttpRequestReader::read($server, self::LIMIT, 0.2);
        $end = HttpRequestReader::read($server, self::LIMIT, 0.2);

        self::assertNotNull($first);
        $request = $first->request();
        self::assertSame(['POST', '/predict/churn', $body, 'ann', '1'], [$request->method(), $request->path(), $request->body(), $request->header('X-User-Key'), $request->query('x')]);
        self::assertTrue($first->keepAlive());
        self::assertNotNull($second);
        self::assertSame(['GET', '/health', ''], [$second->request()->method(), $second->request()->path(), $second->request()->body()]);
        self::assertFalse($second->keepAlive(), 'Connection: close is honoured');
        self::assertNull($end, 'the client closed: no more requests, no error');
    }

    public function testHttp10KeepsTheConnectionOnlyWhenAsked(): void
    {
        $plain = $this->read("GET /health HTTP/1.0\r\n\r\n");
        $asked = $this->read("GET /health HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");

        self::assertNotNull($plain);
        self::assertNotNull($asked);
        self::assertSame([false, true, true], [$plain->keepAlive(), $asked->keepAlive(), $asked->isHttp10()]);
    }

    /** @return array<string, array{string, int, string}> */
    public static function refusedRequests(): array
    {
        $long = str_repeat('a', HttpRequestReader::MAX_LINE);
        $many = str_repeat("X-A: 1\r\n", HttpRequestReader::MAX_HEADERS + 1);
        return [
            'not HTTP' => ["HELLO\r\n\r\n", 400, 'bad_request'],
            'no Host in HTTP/1.1' => ["GET /health HTTP/1.1\r\n\r\n", 400, 'bad_request'],
            'space before the colon' => ["GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, 'bad_request'],
            'folded header' => ["GET / HTTP/1.1\r\nHost: a\r\n  folded\r\n\r\n", 400, 'bad_request'],
            'two lengths' => ["POST /predict HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, 'bad_request'],
            'length not a number' => ["POST /predict HTTP/1.1\r\nHost: a\r\nContent-Length: -2\r\n\r\n", 400, 'bad_request'],
            'body cut short' => ["POST /predict HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n{}", 400, 'bad_request'],
            'POST without a length' => ["POST /predict HTTP/1.1\r\nHost: a\r\n\r\n", 411, 'length_required'],
            'chunked body' => ["POST /predict HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 411, 'length_required'],
            'body over the limit' => ["POST /predict HTTP/1.1\r\nHost: a\r\nContent-Length: " . (self::LIMIT + 1) . "\r\n\r\n", 413, 'payload_too_large'],
            'request line too long' => ["GET /{$long} HTTP/1.1\r\n\r\n", 414, 'uri_too_long'],
            'header line too long' => ["GET / HTTP/1.1\r\nHost: {$long}\r\n\r\n", 431, 'headers_too_large'],
            'too many headers' => ["GET / HTTP/1.1\r\nHost: a\r\n{$many}\r\n", 431, 'headers_too_large'],
        ];
    }

    /** @dataProvider refusedRequests */
    public function testWhatItWillNotReadIsRefusedWithTheUsualErrorBody(string $bytes, int $status, string $code): void
    {
        [$gotStatus, $gotCode, $message] = $this->refusal($bytes);

        self::assertSame([$status, $code], [$gotStatus, $gotCode], $message);
        self::assertNotSame('', $message);
    }

    public function testAClientThatStopsInTheMiddleOfARequestTimesOut(): void
    {
        [$status, $code] = $this->refusal("POST /predict HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n{}", false);

        self::assertSame([408, 'request_timeout'], [$status, $code]);
    }

    public function testExpectContinueGetsItsInterimAnswerBeforeTheBody(): void
    {
        [$client, $server] = $this->socketPair();
        fwrite($client, "POST /predict HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}");

        $incoming = HttpRequestReader::read($server, self::LIMIT, 0.2);

        self::assertNotNull($incoming);
        self::assertSame('{}', $incoming->request()->body());
        self::assertSame("HTTP/1.1 100 Continue\r\n\r\n", fread($client, 100));
    }
}
