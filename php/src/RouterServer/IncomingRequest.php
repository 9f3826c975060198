<?php

declare(strict_types=1);

namespace Driftline\RouterServer;

use Driftline\Http\Request;

/** One request read off a connection, and whether the client keeps the connection for the next. */
final class IncomingRequest
{
    private function __construct(
        private readonly Request $request,
        private readonly bool $keepAlive,
        private readonly bool $http10,
    ) {
    }

    public static function of(Request $request, bool $keepAlive, bool $http10): self
    {
        return new self($request, $keepAlive, $http10);
    }

    public function request(): Request
    {
        return $this->request;
    }

    public function keepAlive(): bool
    {
        return $this->keepAlive;
    }

    public function isHttp10(): bool
    {
        return $this->http10;
    }
}
