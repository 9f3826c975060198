<?php

declare(strict_types=1);

namespace Driftline\RouterServer;

use Driftline\Http\Request;

/**
 * Reads one HTTP/1.x request from a blocking stream, strictly: a request line, at most
 * MAX_HEADERS header lines of at most MAX_LINE bytes, and a body framed by Content-Length
 * only. What it will not read is a RequestRefused (400, 408, 411, 413, 414, 431); the caller
 * answers it and closes the connection, since the rest of that request is still unread.
 */
final class HttpRequestReader
{
    public const MAX_LINE = 8192;
    public const MAX_HEADERS = 100;
    private const TOKEN = "/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/";

    /** @param resource $stream */
    private function __construct(private $stream, private readonly int $maxBodyBytes, private readonly float $timeoutSeconds)
    {
    }

    /**
     * @param resource $stream
     * @return ?IncomingRequest null when the client closed the connection before sending a byte
     * @throws RequestRefused
     */
    public static function read($stream, int $maxBodyBytes, float $timeoutSeconds): ?IncomingRequest
    {
        return (new self($stream, $maxBodyBytes, $timeoutSeconds))->request();
    }

    private function request(): ?IncomingRequest
    {
        // A limit per read, not per request: a client that stops sending is refused.
        $seconds = (int) floor($this->timeoutSeconds);
        stream_set_timeout($this->stream, $seconds, (int) (($this->timeoutSeconds - $seconds) * 1e6));
        $line = $this->line(true);
        if ($line === null) {
            return null;
        }
        if ($line === "\r\n" || $line === "\n") {
            // RFC 9112 2.2: one empty line before a request line is to be ignored.
            $line = $this->line(false) ?? '';
        }
        if (preg_match('#^([A-Z]+) (/[^ \x00-\x20\x7f]*) HTTP/1\.([01])\r?\n$#', $line, $m) !== 1) {
            throw RequestRefused::with(400, 'bad_request', 'malformed request line "' . addcslashes(substr(rtrim($line), 0, 80), "\0..\37") . '"');
        }
        [, $method, $target, $minor] = $m;
        $headers = $this->headers();
        $http10 = $minor === '0';
        if (!$http10 && !isset($headers['host'])) {
            throw RequestRefused::with(400, 'bad_request', 'an HTTP/1.1 request needs a Host header');
        }
        if (isset($headers['transfer-encoding'])) {
            throw RequestRefused::with(411, 'length_required', 'request bodies must have a Content-Length; Transfer-Encoding is not accepted');
        }
        $length = $this->contentLength($headers, $method);
        if ($length > $this->maxBodyBytes) {
            throw RequestRefused::with(413, 'payload_too_large', "body exceeds {$this->maxBodyBytes} bytes (Content-Length {$length})");
        }
        if ($length > 0 && strtolower($headers['expect'] ?? '') === '100-continue') {
            @fwrite($this->stream, "HTTP/1.1 100 Continue\r\n\r\n");
        }
        $body = $this->exactly($length);
        $tokens = array_map('trim', explode(',', strtolower($headers['connection'] ?? '')));
        $keepAlive = $http10 ? in_array('keep-alive', $tokens, true) : !in_array('close', $tokens, true);
        $path = (string) parse_url($target, PHP_URL_PATH);
        $query = [];
        parse_str((string) parse_url($target, PHP_URL_QUERY), $parsed);
        foreach ($parsed as $key => $value) {
            if (is_string($value)) {
                $query[(string) $key] = $value;
            }
        }
        return IncomingRequest::of(Request::create($method, $path === '' ? '/' : $path, $headers, $body, $query), $keepAlive, $http10);
    }

    /** @return array<string, string> lower-case names; repeated headers joined with ", " */
    private function headers(): array
    {
        $headers = [];
        for ($n = 0; $n <= self::MAX_HEADERS; $n++) {
            $line = $this->line(false);
            if ($line === null) {
                throw RequestRefused::with(400, 'bad_request', 'connection closed in the middle of the headers');
            }
            $line = rtrim($line, "\r\n");
            if ($line === '') {
                return $headers;
            }
            $colon = strpos($line, ':');
            $name = $colon === false ? '' : substr($line, 0, $colon);
            // No whitespace before the colon, no folded lines (RFC 9112 5.1, 5.2).
            if (preg_match(self::TOKEN, $name) !== 1) {
                throw RequestRefused::with(400, 'bad_request', 'malformed header line "' . addcslashes(substr($line, 0, 80), "\0..\37") . '"');
            }
            $name = strtolower($name);
            $value = trim(substr($line, (int) $colon + 1), " \t");
            $headers[$name] = isset($headers[$name]) ? "{$headers[$name]}, {$value}" : $value;
        }
        throw RequestRefused::with(431, 'headers_too_large', 'more than ' . self::MAX_HEADERS . ' header lines');
    }

    /** @param array<string, string> $headers */
    private function contentLength(array $headers, string $method): int
    {
        $declared = $headers['content-length'] ?? null;
        if ($declared === null) {
            if (in_array($method, ['POST', 'PUT', 'PATCH'], true)) {
                throw RequestRefused::with(411, 'length_required', "a {$method} request needs a Content-Length header");
            }
            return 0;
        }
        // Repeated identical values are allowed (RFC 9110 8.6); anything else is ambiguous framing.
        $values = array_unique(array_map('trim', explode(',', $declared)));
        if (count($values) !== 1 || preg_match('/^\d{1,15}$/', $values[0]) !== 1) {
            throw RequestRefused::with(400, 'bad_request', "malformed Content-Length \"{$declared}\"");
        }
        return (int) $values[0];
    }

    /** One line with its end of line; null when the connection ended before it began. */
    private function line(bool $first): ?string
    {
        $line = fgets($this->stream, self::MAX_LINE);
        if ($line === false || $line === '') {
            $this->failIfTimedOut($first);
            return null;
        }
        if (!str_ends_with($line, "\n")) {
            $this->failIfTimedOut(false);
            if (feof($this->stream)) {
                throw RequestRefused::with(400, 'bad_request', 'connection closed in the middle of a line');
            }
            throw $first
                ? RequestRefused::with(414, 'uri_too_long', 'request line longer than ' . self::MAX_LINE . ' bytes')
                : RequestRefused::with(431, 'headers_too_large', 'header line longer than ' . self::MAX_LINE . ' bytes');
        }
        return $line;
    }

    private function exactly(int $length): string
    {
        $data = '';
        while (strlen($data) < $length) {
            $part = fread($this->stream, $length - strlen($data));
            if ($part === false || $part === '') {
                $this->failIfTimedOut(false);
                throw RequestRefused::with(400, 'bad_request', 'connection closed after ' . strlen($data) . " of {$length} body bytes");
            }
            $data .= $part;
        }
        return $data;
    }

    /** A client that stops sending mid-request is refused; one idle before its first byte just goes. */
    private function failIfTimedOut(bool $beforeAnyByte): void
    {
        if ((stream_get_meta_data($this->stream)['timed_out'] ?? false) === true && !$beforeAnyByte) {
            throw RequestRefused::with(408, 'request_timeout', "request not complete within {$this->timeoutSeconds} s");
        }
    }
}
