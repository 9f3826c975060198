<?php

declare(strict_types=1);

namespace Driftline\Http;

final class Response
{
    /** @param array<string, string> $headers */
    private function __construct(
        private readonly int $status,
        private readonly array $headers,
        private readonly string $body,
    ) {
    }

    /** @param array<string, string> $headers */
    public static function json(int $status, mixed $data, array $headers = []): self
    {
        $body = json_encode($data, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
        return new self($status, ['Content-Type' => 'application/json'] + $headers, $body . "\n");
    }

    /**
     * The error shape every driftline HTTP API uses:
     * {"error": {"code": ..., "message": ..., "field": ...}}.
     *
     * @param array<string, string> $headers
     */
    public static function error(int $status, string $code, string $message, ?string $field = null, array $headers = []): self
    {
        $error = ['code' => $code, 'message' => $message];
        if ($field !== null) {
            $error['field'] = $field;
        }
        return self::json($status, ['error' => $error], $headers);
    }

    public static function text(int $status, string $contentType, string $body): self
    {
        return new self($status, ['Content-Type' => $contentType], $body);
    }

    public function withHeader(string $name, string $value): self
    {
        return new self($this->status, [$name => $value] + $this->headers, $this->body);
    }

    public function status(): int
    {
        return $this->status;
    }

    public function header(string $name): ?string
    {
        foreach ($this->headers as $key => $value) {
            if (strcasecmp($key, $name) === 0) {
                return $value;
            }
        }
        return null;
    }

    /** @return array<string, string> as given, without Content-Length (the sender adds it) */
    public function headers(): array
    {
        return $this->headers;
    }

    public function body(): string
    {
        return $this->body;
    }

    /** @return array<mixed> */
    public function decodedBody(): array
    {
        $data = json_decode($this->body, true, 512, JSON_THROW_ON_ERROR);
        return is_array($data) ? $data : [];
    }

    public function send(): void
    {
        http_response_code($this->status);
        foreach ($this->headers as $name => $value) {
            header($name . ': ' . $value);
        }
        // php -S otherwise ends a body by closing the connection, so a client cannot
        // tell a complete answer from a cut one.
        header('Content-Length: ' . strlen($this->body));
        echo $this->body;
    }
}
