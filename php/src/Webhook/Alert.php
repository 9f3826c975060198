<?php

declare(strict_types=1);

namespace Driftline\Webhook;

use Driftline\Contract\SharedContract;

/** One alert of an Alertmanager notification. */
final class Alert
{
    /**
     * @param array<string, string> $labels
     * @param array<string, string> $annotations
     */
    private function __construct(
        private readonly string $status,
        private readonly array $labels,
        private readonly array $annotations,
        private readonly string $startsAt,
        private readonly string $endsAt,
        private readonly string $fingerprint,
    ) {
    }

    /**
     * @param array<string, string> $labels
     * @param array<string, string> $annotations
     */
    public static function fromFields(string $status, array $labels, array $annotations, string $startsAt, string $endsAt, string $fingerprint): self
    {
        return new self($status, $labels, $annotations, $startsAt, $endsAt, $fingerprint);
    }

    public function isFiring(): bool
    {
        return $this->status === 'firing';
    }

    public function asksForRetrain(): bool
    {
        return ($this->labels[SharedContract::RETRAIN_LABEL] ?? null) === SharedContract::RETRAIN_VALUE;
    }

    /** The model the alert is about, or null when the label is missing or empty. */
    public function model(): ?string
    {
        $model = $this->labels[SharedContract::MODEL_LABEL] ?? '';
        return $model === '' ? null : $model;
    }

    public function name(): string
    {
        return $this->labels['alertname'] ?? '';
    }

    public function fingerprint(): string
    {
        return $this->fingerprint;
    }

    /** @return array<string, mixed> what a job's reason keeps of the alert */
    public function summary(): array
    {
        return [
            'alertname' => $this->name(),
            'status' => $this->status,
            'labels' => $this->labels,
            'annotations' => $this->annotations,
            'startsAt' => $this->startsAt,
            'endsAt' => $this->endsAt,
            'fingerprint' => $this->fingerprint,
        ];
    }
}
