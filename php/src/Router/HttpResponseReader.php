<?php

declare(strict_types=1);

namespace Driftline\Router;

/**
 * Reads one HTTP/1.x response from a blocking stream before a deadline: the
 * status line, the headers, and a body framed by Content-Length, chunked
 * transfer coding or the end of the connection. Interim 1xx answers are
 * skipped. Strict: anything else is an ExchangeFailure, and the caller drops
 * the connection, so a half-read answer never reaches the next request.
 */
final class HttpResponseReader
{
    private const MAX_LINE = 8192;
    private const MAX_HEADERS = 100;

    /** @param resource $stream */
    private function __construct(private $stream, private readonly Deadline $deadline)
    {
    }

    /**
     * @param resource $stream
     * @throws ExchangeFailure
     */
    public static function read($stream, Deadline $deadline): HttpResponse
    {
        return (new self($stream, $deadline))->response();
    }

    private function response(): HttpResponse
    {
        $interim = false;
        do {
            $statusLine = $this->line(!$interim);
            if (preg_match('#^HTTP/1\.([01]) ([1-5]\d\d)(?: [^\r\n]*)?\r?\n$#', $statusLine, $m) !== 1) {
                throw ExchangeFailure::failed('malformed status line "' . addcslashes(substr($statusLine, 0, 80), "\0..\37") . '"');
            }
            $minor = (int) $m[1];
            $status = (int) $m[2];
            $headers = $this->headers();
            $interim = true;
        } while ($status >= 100 && $status < 200);
        $connection = strtolower($headers['connection'] ?? '');
        $keepAlive = $minor === 1 ? !str_contains($connection, 'close') : str_contains($connection, 'keep-alive');
        $encoding = strtolower(trim($headers['transfer-encoding'] ?? ''));
        if ($encoding !== '') {
            if ($encoding !== 'chunked') {
                throw ExchangeFailure::failed("unsupported Transfer-Encoding \"{$encoding}\"");
            }
            return HttpResponse::of($status, $this->chunkedBody(), $keepAlive);
        }
        if (isset($headers['content-length'])) {
            $length = trim($headers['content-length']);
            if (preg_match('/^\d{1,12}$/', $length) !== 1) {
                throw ExchangeFailure::failed("malformed Content-Length \"{$length}\"");
            }
            return HttpResponse::of($status, $this->exactly((int) $length), $keepAlive);
        }
        if ($status === 204 || $status === 304) {
            return HttpResponse::of($status, '', $keepAlive);
        }
        // No framing: the body ends with the connection, which cannot be kept.
        return HttpResponse::of($status, $this->toEnd(), false);
    }

    /** @return array<string, string> lower-case names; repeated headers joined with ", " */
    private function headers(): array
    {
        $headers = [];
        for ($n = 0; $n <= self::MAX_HEADERS; $n++) {
            $line = rtrim($this->line(false), "\r\n");
            if ($line === '') {
                return $headers;
            }
            $colon = strpos($line, ':');
            if ($colon === false || $colon === 0) {
                throw ExchangeFailure::failed('malformed header line');
            }
            $name = strtolower(substr($line, 0, $colon));
            $value = trim(substr($line, $colon + 1));
            $headers[$name] = isset($headers[$name]) ? "{$headers[$name]}, {$value}" : $value;
        }
        throw ExchangeFailure::failed('more than ' . self::MAX_HEADERS . ' header lines');
    }

    private function chunkedBody(): string
    {
        $body = '';
        while (true) {
            $sizeLine = rtrim($this->line(false), "\r\n");
            // Chunk extensions (";name=value") carry nothing the router needs.
            $size = trim(explode(';', $sizeLine, 2)[0]);
            if (preg_match('/^[0-9a-fA-F]{1,8}$/', $size) !== 1) {
                throw ExchangeFailure::failed("malformed chunk size \"{$size}\"");
            }
            $length = (int) hexdec($size);
            if ($length === 0) {
                $this->headers(); // trailers, up to the empty line
                return $body;
            }
            $body .= $this->exactly($length);
            if ($this->exactly(2) !== "\r\n") {
                throw ExchangeFailure::failed('chunk not followed by CRLF');
            }
        }
    }

    /** One line with its end of line; the very first one tells whether anything came back. */
    private function line(bool $first): string
    {
        $this->armTimeout();
        $line = fgets($this->stream, self::MAX_LINE);
        if ($line === false || $line === '') {
            $this->failIfTimedOut();
            throw $first
                ? ExchangeFailure::closedUnanswered('connection closed before any answer')
                : ExchangeFailure::failed('connection closed in the middle of the answer');
        }
        if (!str_ends_with($line, "\n")) {
            $this->failIfTimedOut();
            throw ExchangeFailure::failed(feof($this->stream) ? 'connection closed in the middle of the answer' : 'line longer than ' . self::MAX_LINE . ' bytes');
        }
        return $line;
    }

    private function exactly(int $length): string
    {
        $data = '';
        while (strlen($data) < $length) {
            $this->armTimeout();
            $part = fread($this->stream, min($length - strlen($data), 65536));
            if ($part === false || $part === '') {
                $this->failIfTimedOut();
                throw ExchangeFailure::failed('connection closed after ' . strlen($data) . " of {$length} body bytes");
            }
            $data .= $part;
        }
        return $data;
    }

    private function toEnd(): string
    {
        $data = '';
        while (!feof($this->stream)) {
            $this->armTimeout();
            $part = fread($this->stream, 65536);
            if ($part === false) {
                break;
            }
            $this->failIfTimedOut();
            $data .= $part;
        }
        return $data;
    }

    private function armTimeout(): void
    {
        $left = $this->deadline->secondsLeft();
        if ($left <= 0.0) {
            throw ExchangeFailure::failed('timed out waiting for the answer');
        }
        $seconds = (int) floor($left);
        stream_set_timeout($this->stream, $seconds, (int) (($left - $seconds) * 1e6));
    }

    private function failIfTimedOut(): void
    {
        if ((stream_get_meta_data($this->stream)['timed_out'] ?? false) === true) {
            throw ExchangeFailure::failed('timed out waiting for the answer');
        }
    }
}
