<?php

declare(strict_types=1);

namespace Driftline\Webhook;

/** A validated Alertmanager webhook notification (payload version "4"). */
final class AlertmanagerPayload
{
    /**
     * @param list<Alert> $alerts
     * @param array<string, string> $groupLabels
     */
    private function __construct(
        private readonly string $status,
        private readonly string $receiver,
        private readonly string $groupKey,
        private readonly array $groupLabels,
        private readonly string $externalUrl,
        private readonly int $truncatedAlerts,
        private readonly array $alerts,
    ) {
    }

    /**
     * @param list<Alert> $alerts
     * @param array<string, string> $groupLabels
     */
    public static function fromFields(string $status, string $receiver, string $groupKey, array $groupLabels, string $externalUrl, int $truncatedAlerts, array $alerts): self
    {
        return new self($status, $receiver, $groupKey, $groupLabels, $externalUrl, $truncatedAlerts, $alerts);
    }

    public function status(): string
    {
        return $this->status;
    }

    public function receiver(): string
    {
        return $this->receiver;
    }

    public function groupKey(): string
    {
        return $this->groupKey;
    }

    /** @return array<string, string> */
    public function groupLabels(): array
    {
        return $this->groupLabels;
    }

    public function externalUrl(): string
    {
        return $this->externalUrl;
    }

    public function truncatedAlerts(): int
    {
        return $this->truncatedAlerts;
    }

    /** @return list<Alert> */
    public function alerts(): array
    {
        return $this->alerts;
    }

    /**
     * Firing alerts that ask for retraining, grouped by model name (sorted).
     *
     * @return array<string, list<Alert>>
     */
    public function retrainRequestsByModel(): array
    {
        $byModel = [];
        foreach ($this->alerts as $alert) {
            $model = $alert->model();
            if ($alert->isFiring() && $alert->asksForRetrain() && $model !== null) {
                $byModel[$model][] = $alert;
            }
        }
        ksort($byModel, SORT_STRING);
        return $byModel;
    }
}
