<?php

declare(strict_types=1);

namespace Driftline\RouterServer;

use Driftline\Http\Response;
use RuntimeException;

/** A request the server will not read further: answered with the usual error body, then closed. */
final class RequestRefused extends RuntimeException
{
    private function __construct(private readonly int $status, private readonly string $errorCode, string $message)
    {
        parent::__construct($message);
    }

    public static function with(int $status, string $code, string $message): self
    {
        return new self($status, $code, $message);
    }

    public function response(): Response
    {
        return Response::error($this->status, $this->errorCode, $this->getMessage());
    }
}
