<?php

declare(strict_types=1);

namespace Driftline\Router;

use InvalidArgumentException;

/** Where a variant's base URL points: the socket address, the Host header, the path prefix. */
final class UpstreamAddress
{
    private function __construct(
        private readonly string $socketAddress,
        private readonly string $hostHeader,
        private readonly string $pathPrefix,
    ) {
    }

    public static function fromBaseUrl(string $baseUrl): self
    {
        $parts = parse_url($baseUrl);
        $scheme = strtolower((string) ($parts['scheme'] ?? ''));
        $host = (string) ($parts['host'] ?? '');
        if (!in_array($scheme, ['http', 'https'], true) || $host === '') {
            throw new InvalidArgumentException("\"{$baseUrl}\" is not an http(s) URL with a host");
        }
        $defaultPort = $scheme === 'https' ? 443 : 80;
        $port = (int) ($parts['port'] ?? $defaultPort);
        // parse_url keeps an IPv6 literal's brackets, which is what both the socket address and Host need.
        return new self(
            ($scheme === 'https' ? 'tls://' : 'tcp://') . "{$host}:{$port}",
            $port === $defaultPort ? $host : "{$host}:{$port}",
            rtrim((string) ($parts['path'] ?? ''), '/'),
        );
    }

    /** For stream_socket_client, e.g. "tcp://127.0.0.1:8000"; also the persistent connection's key. */
    public function socketAddress(): string
    {
        return $this->socketAddress;
    }

    public function hostHeader(): string
    {
        return $this->hostHeader;
    }

    public function target(string $path): string
    {
        return $this->pathPrefix . $path;
    }
}
