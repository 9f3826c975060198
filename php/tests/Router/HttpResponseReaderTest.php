<?php

declare(strict_types=1);

namespace Driftline\Tests\Router;

use Driftline\Router\Deadline;
use Driftline\Router\ExchangeFailure;
use Driftline\Router\HttpResponseReader;
use Driftline\Tests\SocketPairs;
use PHPUnit\Framework\TestCase;

/**
 * The reader on a real socket pair: what the server end writes (then closes,
 * unless told to keep it open) is what the reader gets.
 *
 * @covers \Driftline\Router\HttpResponseReader
 * @covers \Driftline\Router\HttpResponse
 * @covers \Driftline\Router\ExchangeFailure
 * @covers \Driftline\Router\Deadline
 */
final class HttpResponseReaderTest extends TestCase
{
    use SocketPairs;

    public function testContentLengthFramesTheBodyAndTheConnectionIsKept(): void
    {
        $client = $this->readingEnd("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\": true}NEXT", false);

        $response = HttpResponseReader::read($client, Deadline::inMs(1000));

        self::assertSame([200, '{"a": true}', true], [$response->status(), $response->body(), $response->keepAlive()]);
        self::assertSame('NEXT', fread($client, 4), 'nothing past the body was consumed');
    }

    public function testChunkedBodyWithExtensionsAndTrailers(): void
    {
        $client = $this->readingEnd("HTTP/1.1 400 BAD REQUEST\r\nTransfer-Encoding: chunked\r\n\r\n"
            . "5;note=x\r\n{\"err\r\n7\r\nor\": 1}\r\n0\r\nX-Trailer: y\r\n\r\n", false);

        $response = HttpResponseReader::read($client, Deadline::inMs(1000));

        self::assertSame([400, '{"error": 1}', true], [$response->status(), $response->body(), $response->keepAlive()]);
    }

    public function testConnectionCloseAndHttp10AreNotKept(): void
    {
        $close = $this->readingEnd("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}");
        $old = $this->readingEnd("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        $oldKept = $this->readingEnd("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}");

        self::assertFalse(HttpResponseReader::read($close, Deadline::inMs(1000))->keepAlive());
        self::assertFalse(HttpResponseReader::read($old, Deadline::inMs(1000))->keepAlive());
        self::assertTrue(HttpResponseReader::read($oldKept, Deadline::inMs(1000))->keepAlive());
    }

    public function testWithoutFramingTheBodyEndsWithTheConnection(): void
    {
        $client = $this->readingEnd("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"all\": \"of it\"}");

        $response = HttpResponseReader::read($client, Deadline::inMs(1000));

        self::assertSame(['{"all": "of it"}', false], [$response->body(), $response->keepAlive()]);
    }

    public function testInterimAnswersAreSkipped(): void
    {
        $client = $this->readingEnd("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");

        self::assertSame(201, HttpResponseReader::read($client, Deadline::inMs(1000))->status());
    }

    public function testNothingBackIsTheOnlyRetryableFailure(): void
    {
        $failure = $this->failure('');

        self::assertTrue($failure->isClosedUnanswered());
        self::assertStringContainsString('before any answer', $failure->getMessage());
    }

    /** @dataProvider brokenAnswers */
    public function testABrokenAnswerFailsAndIsNotRetryable(string $bytes, string $mentions): void
    {
        $failure = $this->failure($bytes);

        self::assertFalse($failure->isClosedUnanswered());
        self::assertStringContainsString($mentions, $failure->getMessage());
    }

    /** @return iterable<string, array{string, string}> */
    public static function brokenAnswers(): iterable
    {
        yield 'cut status line' => ['HTTP/1.1 20', 'middle of the answer'];
        yield 'not HTTP' => ["SSH-2.0-OpenSSH\r\n", 'malformed status line'];
        yield 'cut headers' => ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", 'middle of the answer'];
        yield 'short body' => ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}", '2 of 5 body bytes'];
        yield 'bad length' => ["HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 'malformed Content-Length'];
        yield 'bad chunk size' => ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 'malformed chunk size'];
        yield 'cut chunk' => ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{}", 'body bytes'];
        yield 'other coding' => ["HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 'Transfer-Encoding'];
        yield 'header without colon' => ["HTTP/1.1 200 OK\r\nbroken\r\n\r\n", 'malformed header'];
        yield 'closed after an interim answer' => ["HTTP/1.1 100 Continue\r\n\r\n", 'middle of the answer'];
    }

    public function testASilentServerTimesOutAtTheDeadline(): void
    {
        $client = $this->readingEnd('', false);
        $started = hrtime(true);

        $failure = $this->failureOn($client, Deadline::inMs(200));

        $elapsedMs = (hrtime(true) - $started) / 1e6;
        self::assertFalse($failure->isClosedUnanswered(), 'a timeout is never retried');
        self::assertStringContainsString('timed out', $failure->getMessage());
        self::assertGreaterThanOrEqual(150, $elapsedMs);
    }

    private function failure(string $bytes): ExchangeFailure
    {
        return $this->failureOn($this->readingEnd($bytes), Deadline::inMs(1000));
    }

    /** @param resource $client */
    private function failureOn($client, Deadline $deadline): ExchangeFailure
    {
        try {
            HttpResponseReader::read($client, $deadline);
        } catch (ExchangeFailure $e) {
            return $e;
        }
        self::fail('expected an ExchangeFailure');
    }
}
