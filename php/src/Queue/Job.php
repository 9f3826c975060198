<?php

declare(strict_types=1);

namespace Driftline\Queue;

use DateTimeImmutable;
use DateTimeZone;

/** One retraining job as stored; read-only. */
final class Job
{
    /**
     * @param array<string, mixed> $reason
     * @param array<string, mixed>|null $outcome
     */
    private function __construct(
        private readonly int $id,
        private readonly string $model,
        private readonly JobState $state,
        private readonly array $reason,
        private readonly float $createdAt,
        private readonly float $updatedAt,
        private readonly ?float $startedAt,
        private readonly ?float $finishedAt,
        private readonly ?float $heartbeatAt,
        private readonly int $attempts,
        private readonly ?string $worker,
        private readonly ?int $exitCode,
        private readonly ?string $outputTail,
        private readonly ?array $outcome,
        private readonly ?string $modelVersion,
        private readonly ?string $promotion,
        private readonly ?string $error,
        private readonly ?string $logPath,
    ) {
    }

    /** @param array<string, mixed> $row a row of the jobs table */
    public static function fromRow(array $row): self
    {
        $float = static fn (mixed $v): ?float => $v === null ? null : (float) $v;
        $text = static fn (mixed $v): ?string => $v === null ? null : (string) $v;
        $reason = json_decode((string) $row['reason'], true);
        $outcome = $row['outcome'] === null ? null : json_decode((string) $row['outcome'], true);
        return new self(
            id: (int) $row['id'],
            model: (string) $row['model'],
            state: JobState::from((string) $row['state']),
            reason: is_array($reason) ? $reason : [],
            createdAt: (float) $row['created_at'],
            updatedAt: (float) $row['updated_at'],
            startedAt: $float($row['started_at']),
            finishedAt: $float($row['finished_at']),
            heartbeatAt: $float($row['heartbeat_at']),
            attempts: (int) $row['attempts'],
            worker: $text($row['worker']),
            exitCode: $row['exit_code'] === null ? null : (int) $row['exit_code'],
            outputTail: $text($row['output_tail']),
            outcome: is_array($outcome) ? $outcome : null,
            modelVersion: $text($row['model_version']),
            promotion: $text($row['promotion']),
            error: $text($row['error']),
            logPath: $text($row['log_path']),
        );
    }

    public function id(): int
    {
        return $this->id;
    }

    public function model(): string
    {
        return $this->model;
    }

    public function state(): JobState
    {
        return $this->state;
    }

    /** @return array<string, mixed> */
    public function reason(): array
    {
        return $this->reason;
    }

    public function attempts(): int
    {
        return $this->attempts;
    }

    public function worker(): ?string
    {
        return $this->worker;
    }

    public function exitCode(): ?int
    {
        return $this->exitCode;
    }

    public function outputTail(): ?string
    {
        return $this->outputTail;
    }

    public function error(): ?string
    {
        return $this->error;
    }

    public function modelVersion(): ?string
    {
        return $this->modelVersion;
    }

    public function promotion(): ?string
    {
        return $this->promotion;
    }

    public function createdAt(): float
    {
        return $this->createdAt;
    }

    public function finishedAt(): ?float
    {
        return $this->finishedAt;
    }

    public function durationSeconds(): ?float
    {
        return $this->startedAt !== null && $this->finishedAt !== null ? $this->finishedAt - $this->startedAt : null;
    }

    /** @return array<string, mixed> the JSON form served by GET /jobs */
    public function toArray(): array
    {
        return [
            'id' => $this->id,
            'model' => $this->model,
            'state' => $this->state->value,
            'reason' => $this->reason,
            'created_at' => self::iso($this->createdAt),
            'updated_at' => self::iso($this->updatedAt),
            'started_at' => self::iso($this->startedAt),
            'finished_at' => self::iso($this->finishedAt),
            'heartbeat_at' => self::iso($this->heartbeatAt),
            'duration_seconds' => $this->durationSeconds() === null ? null : round($this->durationSeconds(), 3),
            'attempts' => $this->attempts,
            'worker' => $this->worker,
            'exit_code' => $this->exitCode,
            'error' => $this->error,
            'model_version' => $this->modelVersion,
            'promotion' => $this->promotion,
            'outcome' => $this->outcome,
            'output_tail' => $this->outputTail,
            'log_path' => $this->logPath,
        ];
    }

    private static function iso(?float $unix): ?string
    {
        if ($unix === null) {
            return null;
        }
        $time = DateTimeImmutable::createFromFormat('U.u', sprintf('%.6F', $unix), new DateTimeZone('UTC'));
        return $time === false ? null : $time->format('Y-m-d\TH:i:s.v\Z');
    }
}
