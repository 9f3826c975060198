<?php

declare(strict_types=1);

namespace Driftline\Router;

use InvalidArgumentException;

/**
 * InferenceClient over persistent sockets: one kept-alive HTTP/1.1
 * connection per inference server and PHP worker process (php -S workers,
 * php-fpm children), reused by every later request that process serves.
 * PHP 8.2's curl handles die with the request, so curl would connect anew
 * for every forwarded prediction; docs/router.md has the measured difference.
 *
 * Timeouts as curl had them: connect (a new connection only) and total (the
 * whole exchange). A reused connection is checked before use (anything to
 * read there means the server closed it or an old answer is left: dropped),
 * and when it ends without a byte of answer, the request is sent once more
 * on a fresh connection. Any other failure drops the connection.
 */
final class KeepAliveInferenceClient implements InferenceClient
{
    /** @var array<string, resource> connections in the middle of an exchange, by address */
    private static array $inFlight = [];
    private static bool $shutdownHookSet = false;

    private function __construct(private readonly int $connectTimeoutMs, private readonly int $totalTimeoutMs)
    {
    }

    public static function withTimeouts(int $connectTimeoutMs, int $totalTimeoutMs): self
    {
        return new self($connectTimeoutMs, $totalTimeoutMs);
    }

    public function post(Variant $variant, string $path, string $jsonBody): UpstreamAnswer
    {
        try {
            $address = UpstreamAddress::fromBaseUrl($variant->baseUrl());
        } catch (InvalidArgumentException $e) {
            throw UpstreamFailure::because($variant->name(), $e->getMessage());
        }
        $request = "POST {$address->target($path)} HTTP/1.1\r\n"
            . "Host: {$address->hostHeader()}\r\n"
            . "Content-Type: application/json\r\n"
            . "Accept: application/json\r\n"
            . 'Content-Length: ' . strlen($jsonBody) . "\r\n"
            . "\r\n"
            . $jsonBody;
        $deadline = Deadline::inMs($this->totalTimeoutMs);
        [$stream, $reused] = $this->connection($variant, $address, $deadline);
        try {
            $response = $this->exchange($address, $stream, $request, $deadline);
        } catch (ExchangeFailure $e) {
            if (!$reused || !$e->isClosedUnanswered()) {
                throw UpstreamFailure::because($variant->name(), $e->getMessage());
            }
            // The kept-alive race: the server closed the idle connection as the request went out.
            [$stream] = $this->connection($variant, $address, $deadline);
            try {
                $response = $this->exchange($address, $stream, $request, $deadline);
            } catch (ExchangeFailure $again) {
                throw UpstreamFailure::because($variant->name(), $again->getMessage() . ' (on a fresh connection, after a kept-alive one closed)');
            }
        }
        return UpstreamAnswer::of($response->status(), $response->body());
    }

    /**
     * A connection to $address: the kept one when it is still clean, else a new one.
     *
     * @return array{resource, bool} the stream, whether it served an earlier request
     */
    private function connection(Variant $variant, UpstreamAddress $address, Deadline $deadline): array
    {
        for ($attempt = 0; $attempt < 2; $attempt++) {
            $stream = $this->open($variant, $address, $deadline);
            // ftell counts the bytes that went through this stream: above 0 on a kept one.
            $reused = ftell($stream) > 0;
            if (!$reused || !self::hasSomethingToRead($stream)) {
                return [$stream, $reused];
            }
            // Closed by the server (EOF) or holding an old answer: never reuse that.
            fclose($stream);
        }
        throw UpstreamFailure::because($variant->name(), "a new connection to {$address->socketAddress()} was readable before any request");
    }

    /** @return resource */
    private function open(Variant $variant, UpstreamAddress $address, Deadline $deadline)
    {
        $connectSeconds = min($this->connectTimeoutMs / 1000, $deadline->secondsLeft());
        if ($connectSeconds <= 0.0) {
            throw UpstreamFailure::because($variant->name(), 'timed out before connecting');
        }
        // PHP keeps a persistent stream per address for the life of the process and checks
        // that it is still connected before handing it back; the connect timeout applies
        // to a new connection only.
        $stream = @stream_socket_client(
            $address->socketAddress(),
            $errno,
            $error,
            $connectSeconds,
            STREAM_CLIENT_CONNECT | STREAM_CLIENT_PERSISTENT,
            // The request goes out in one write; no delay waiting for an ACK either way.
            stream_context_create(['socket' => ['tcp_nodelay' => true]]),
        );
        if ($stream === false) {
            $why = $error !== '' ? $error : 'connection failed';
            throw UpstreamFailure::because($variant->name(), "cannot connect to {$address->socketAddress()}: {$why} (errno {$errno})");
        }
        return $stream;
    }

    /** @param resource $stream */
    private function exchange(UpstreamAddress $address, $stream, string $request, Deadline $deadline): HttpResponse
    {
        self::markInFlight($address->socketAddress(), $stream);
        try {
            self::writeAll($stream, $request, $deadline);
            $response = HttpResponseReader::read($stream, $deadline);
        } catch (ExchangeFailure $e) {
            fclose($stream);
            unset(self::$inFlight[$address->socketAddress()]);
            throw $e;
        }
        unset(self::$inFlight[$address->socketAddress()]);
        if (!$response->keepAlive()) {
            fclose($stream);
        }
        return $response;
    }

    /** @param resource $stream */
    private static function writeAll($stream, string $data, Deadline $deadline): void
    {
        $written = 0;
        while ($written < strlen($data)) {
            $left = $deadline->secondsLeft();
            if ($left <= 0.0) {
                throw ExchangeFailure::failed('timed out sending the request');
            }
            stream_set_timeout($stream, (int) floor($left), (int) (fmod($left, 1.0) * 1e6));
            $n = @fwrite($stream, substr($data, $written));
            if ($n === false || $n === 0) {
                // Nothing of the answer can have come back yet: on a kept connection this
                // is the server having closed it.
                throw ExchangeFailure::closedUnanswered('connection closed while sending the request');
            }
            $written += $n;
        }
    }

    /** @param resource $stream */
    private static function hasSomethingToRead($stream): bool
    {
        $read = [$stream];
        $write = $except = null;
        return @stream_select($read, $write, $except, 0, 0) !== 0;
    }

    /**
     * A request that dies mid-exchange (a fatal error, max_execution_time) must not leave
     * its connection to the next request with an answer still to come: close it at shutdown.
     *
     * @param resource $stream
     */
    private static function markInFlight(string $address, $stream): void
    {
        self::$inFlight[$address] = $stream;
        if (!self::$shutdownHookSet) {
            self::$shutdownHookSet = true;
            register_shutdown_function(static function (): void {
                foreach (self::$inFlight as $stream) {
                    @fclose($stream);
                }
                self::$inFlight = [];
            });
        }
    }
}
