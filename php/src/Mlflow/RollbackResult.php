<?php

declare(strict_types=1);

namespace Driftline\Mlflow;

final class RollbackResult
{
    /** @param list<string> $history */
    private function __construct(
        private readonly string $model,
        private readonly ?string $from,
        private readonly string $to,
        private readonly array $history,
    ) {
    }

    /** @param list<string> $history */
    public static function of(string $model, ?string $from, string $to, array $history): self
    {
        return new self($model, $from, $to, $history);
    }

    public function describe(): string
    {
        return sprintf(
            '%s: champion moved from version %s to version %s; champion history now %s',
            $this->model,
            $this->from ?? '(none)',
            $this->to,
            json_encode($this->history, JSON_THROW_ON_ERROR),
        );
    }

    /** @return array<string, mixed> */
    public function toArray(): array
    {
        return ['model' => $this->model, 'from' => $this->from, 'to' => $this->to, 'history' => $this->history];
    }
}
