<?php

declare(strict_types=1);

namespace Driftline\Worker;

use Driftline\Contract\SharedContract;
use InvalidArgumentException;

/** The JSON line the retraining command prints last (driftline/retrain_contract.py). */
final class RetrainOutcome
{
    /** @param array<string, mixed> $fields */
    private function __construct(
        private readonly string $status,
        private readonly ?string $challengerVersion,
        private readonly array $fields,
    ) {
    }

    /** @throws InvalidArgumentException naming what is wrong with the line */
    public static function fromLine(string $line): self
    {
        $data = json_decode(trim($line), true);
        if (!is_array($data) || array_is_list($data)) {
            throw new InvalidArgumentException('last output line is not a JSON object');
        }
        if (($data['schema'] ?? null) !== SharedContract::OUTCOME_SCHEMA) {
            throw new InvalidArgumentException('outcome schema is not "' . SharedContract::OUTCOME_SCHEMA . '"');
        }
        if (($data['schema_version'] ?? null) !== SharedContract::OUTCOME_SCHEMA_VERSION) {
            throw new InvalidArgumentException('outcome schema_version is not ' . SharedContract::OUTCOME_SCHEMA_VERSION);
        }
        $status = $data['status'] ?? null;
        if (!is_string($status) || !in_array($status, SharedContract::OUTCOME_STATUSES, true)) {
            throw new InvalidArgumentException('outcome status must be one of ' . implode(', ', SharedContract::OUTCOME_STATUSES));
        }
        $version = $data['challenger_version'] ?? null;
        if ($version !== null && !is_string($version) && !is_int($version)) {
            throw new InvalidArgumentException('outcome challenger_version must be a string or null');
        }
        return new self($status, $version === null ? null : (string) $version, $data);
    }

    /** promoted, rejected or failed */
    public function status(): string
    {
        return $this->status;
    }

    public function challengerVersion(): ?string
    {
        return $this->challengerVersion;
    }

    public function message(): string
    {
        return is_string($this->fields['message'] ?? null) ? $this->fields['message'] : '';
    }

    /** What the gate compared (metric, direction, scores, margin); null when nothing was judged. */
    public function gate(): ?GateFigures
    {
        return GateFigures::fromOutcome($this->fields);
    }

    /** @return array<string, mixed> */
    public function toArray(): array
    {
        return $this->fields;
    }
}
