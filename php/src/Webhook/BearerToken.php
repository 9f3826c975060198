<?php

declare(strict_types=1);

namespace Driftline\Webhook;

use RuntimeException;

/** The webhook's shared secret, read from the file Alertmanager's credentials_file also reads. */
final class BearerToken
{
    private function __construct(private readonly string $secret)
    {
    }

    public static function fromFile(string $path): self
    {
        $content = is_readable($path) ? file_get_contents($path) : false;
        if ($content === false) {
            throw new RuntimeException("webhook token file {$path} is not readable");
        }
        $secret = trim($content);
        if ($secret === '') {
            throw new RuntimeException("webhook token file {$path} is empty");
        }
        return new self($secret);
    }

    public static function fromString(string $secret): self
    {
        if ($secret === '') {
            throw new RuntimeException('webhook token is empty');
        }
        return new self($secret);
    }

    /** Constant-time check of an Authorization header value. */
    public function admits(?string $authorization): bool
    {
        if ($authorization === null || preg_match('/^Bearer\s+(\S+)\s*$/i', $authorization, $m) !== 1) {
            return false;
        }
        return hash_equals($this->secret, $m[1]);
    }
}
