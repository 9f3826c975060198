<?php

declare(strict_types=1);

namespace Driftline\Webhook;

use RuntimeException;

/** A webhook body that is not a well-formed Alertmanager payload; names the field. */
final class InvalidPayload extends RuntimeException
{
    private function __construct(string $message, private readonly string $field)
    {
        parent::__construct($message);
    }

    public static function at(string $field, string $message): self
    {
        return new self("{$field}: {$message}", $field);
    }

    public function field(): string
    {
        return $this->field;
    }
}
