<?php

declare(strict_types=1);

namespace Driftline\Http;

/** One HTTP request as the application sees it; the body is read with a limit. */
final class Request
{
    /** @param array<string, string> $headers lower-case names */
    private function __construct(
        private readonly string $method,
        private readonly string $path,
        private readonly array $headers,
        private readonly string $body,
        /** @var array<string, string> */
        private readonly array $query,
    ) {
    }

    /**
     * @param array<string, string> $headers any case
     * @param array<string, string> $query
     */
    public static function create(string $method, string $path, array $headers = [], string $body = '', array $query = []): self
    {
        $lower = [];
        foreach ($headers as $name => $value) {
            $lower[strtolower($name)] = $value;
        }
        return new self(strtoupper($method), $path, $lower, $body, $query);
    }

    /**
     * Reads at most $bodyLimit + 1 bytes, so an oversize body is detected
     * without holding all of it.
     */
    public static function fromGlobals(int $bodyLimit): self
    {
        $headers = [];
        foreach ($_SERVER as $key => $value) {
            if (str_starts_with((string) $key, 'HTTP_')) {
                $headers[str_replace('_', '-', substr((string) $key, 5))] = (string) $value;
            }
        }
        foreach (['CONTENT_TYPE' => 'content-type', 'CONTENT_LENGTH' => 'content-length'] as $key => $name) {
            if (isset($_SERVER[$key])) {
                $headers[$name] = (string) $_SERVER[$key];
            }
        }
        $method = (string) ($_SERVER['REQUEST_METHOD'] ?? 'GET');
        $body = '';
        if ($method !== 'GET' && $method !== 'HEAD') {
            $in = fopen('php://input', 'rb');
            $body = $in === false ? '' : (string) stream_get_contents($in, $bodyLimit + 1);
        }
        $path = (string) parse_url((string) ($_SERVER['REQUEST_URI'] ?? '/'), PHP_URL_PATH);
        $query = [];
        foreach ($_GET as $key => $value) {
            if (is_string($value)) {
                $query[(string) $key] = $value;
            }
        }
        return self::create($method, $path === '' ? '/' : $path, $headers, $body, $query);
    }

    public function method(): string
    {
        return $this->method;
    }

    public function path(): string
    {
        return $this->path;
    }

    public function header(string $name): ?string
    {
        return $this->headers[strtolower($name)] ?? null;
    }

    public function body(): string
    {
        return $this->body;
    }

    public function query(string $name): ?string
    {
        return $this->query[$name] ?? null;
    }

    /** The media type without parameters, lower-case, e.g. "application/json". */
    public function mediaType(): string
    {
        $type = $this->header('content-type') ?? '';
        return strtolower(trim(explode(';', $type, 2)[0]));
    }

    public function declaredLength(): ?int
    {
        $length = $this->header('content-length');
        return $length !== null && ctype_digit($length) ? (int) $length : null;
    }
}
