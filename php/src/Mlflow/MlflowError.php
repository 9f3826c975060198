<?php

declare(strict_types=1);

namespace Driftline\Mlflow;

use RuntimeException;

/** MLflow answered with an error, or did not answer at all (errorCode "UNREACHABLE"). */
final class MlflowError extends RuntimeException
{
    private function __construct(string $message, private readonly string $errorCode, private readonly int $httpStatus)
    {
        parent::__construct($message);
    }

    public static function answered(int $httpStatus, string $errorCode, string $message): self
    {
        return new self("MLflow {$errorCode} (HTTP {$httpStatus}): {$message}", $errorCode, $httpStatus);
    }

    public static function unreachable(string $url, string $why): self
    {
        return new self("MLflow at {$url} is unreachable: {$why}", 'UNREACHABLE', 0);
    }

    public function errorCode(): string
    {
        return $this->errorCode;
    }

    public function httpStatus(): int
    {
        return $this->httpStatus;
    }

    public function isNotFound(): bool
    {
        return $this->errorCode === 'RESOURCE_DOES_NOT_EXIST';
    }
}
