<?php

declare(strict_types=1);

namespace Driftline\RouterServer;

use Driftline\Http\Response;

/** A Response as HTTP/1.1 bytes, framed by Content-Length, saying whether the connection stays. */
final class HttpResponseEncoder
{
    private const REASONS = [
        100 => 'Continue', 200 => 'OK', 201 => 'Created', 202 => 'Accepted', 204 => 'No Content',
        400 => 'Bad Request', 401 => 'Unauthorized', 403 => 'Forbidden', 404 => 'Not Found',
        405 => 'Method Not Allowed', 408 => 'Request Timeout', 409 => 'Conflict', 411 => 'Length Required',
        413 => 'Content Too Large', 414 => 'URI Too Long', 415 => 'Unsupported Media Type',
        422 => 'Unprocessable Content', 429 => 'Too Many Requests', 431 => 'Request Header Fields Too Large',
        500 => 'Internal Server Error', 502 => 'Bad Gateway', 503 => 'Service Unavailable', 504 => 'Gateway Timeout',
    ];

    /** @param bool $headOnly the answer to a HEAD request: the headers of the body, not the body */
    public static function encode(Response $response, bool $keepAlive, bool $http10 = false, bool $headOnly = false): string
    {
        $status = $response->status();
        $head = "HTTP/1.1 {$status} " . (self::REASONS[$status] ?? 'Status') . "\r\n"
            . 'Date: ' . gmdate('D, d M Y H:i:s') . " GMT\r\n";
        foreach ($response->headers() as $name => $value) {
            $head .= "{$name}: {$value}\r\n";
        }
        $body = $response->body();
        // HTTP/1.1 keeps a connection unless told; an HTTP/1.0 client only when told.
        $connection = $keepAlive ? ($http10 ? "Connection: keep-alive\r\n" : '') : "Connection: close\r\n";
        return $head . 'Content-Length: ' . strlen($body) . "\r\n" . $connection . "\r\n" . ($headOnly ? '' : $body);
    }
}
