<?php

declare(strict_types=1);

namespace Driftline\Webhook;

use Driftline\Contract\SharedContract;
use JsonException;
use stdClass;

/**
 * Turns a webhook body into an AlertmanagerPayload, or throws InvalidPayload
 * naming the first field that is wrong. Decodes JSON objects as stdClass so
 * an object and a list are told apart ({} vs []).
 */
final class PayloadParser
{
    private const STATUSES = ['firing', 'resolved'];
    // Alertmanager's time format is RFC 3339 with optional fractional seconds.
    private const RFC3339 = '/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/';

    private function __construct()
    {
    }

    public static function create(): self
    {
        return new self();
    }

    public function parse(string $body): AlertmanagerPayload
    {
        try {
            $data = json_decode($body, false, 32, JSON_THROW_ON_ERROR);
        } catch (JsonException $e) {
            throw InvalidPayload::at('body', 'not valid JSON (' . $e->getMessage() . ')');
        }
        if (!$data instanceof stdClass) {
            throw InvalidPayload::at('body', 'expected a JSON object');
        }
        $version = $this->string($data, 'version', 'version');
        if ($version !== SharedContract::WEBHOOK_PAYLOAD_VERSION) {
            throw InvalidPayload::at('version', sprintf('expected "%s", got "%s"', SharedContract::WEBHOOK_PAYLOAD_VERSION, $version));
        }
        $status = $this->oneOf($data, 'status', 'status', self::STATUSES);
        $receiver = $this->string($data, 'receiver', 'receiver');
        $groupKey = $this->string($data, 'groupKey', 'groupKey');
        $externalUrl = $this->string($data, 'externalURL', 'externalURL');
        $groupLabels = $this->labelSet($data, 'groupLabels', 'groupLabels');
        $this->labelSet($data, 'commonLabels', 'commonLabels');
        $this->labelSet($data, 'commonAnnotations', 'commonAnnotations');
        $truncated = 0;
        // Alertmanager before 0.20 did not send truncatedAlerts.
        if (property_exists($data, 'truncatedAlerts')) {
            if (!is_int($data->truncatedAlerts) || $data->truncatedAlerts < 0) {
                throw InvalidPayload::at('truncatedAlerts', 'expected a non-negative integer');
            }
            $truncated = $data->truncatedAlerts;
        }
        if (!property_exists($data, 'alerts') || !is_array($data->alerts)) {
            throw InvalidPayload::at('alerts', 'expected a list of alerts');
        }
        if ($data->alerts === []) {
            throw InvalidPayload::at('alerts', 'expected at least one alert');
        }
        $alerts = [];
        foreach (array_values($data->alerts) as $i => $raw) {
            $alerts[] = $this->alert($raw, "alerts[{$i}]");
        }
        return AlertmanagerPayload::fromFields($status, $receiver, $groupKey, $groupLabels, $externalUrl, $truncated, $alerts);
    }

    private function alert(mixed $raw, string $path): Alert
    {
        if (!$raw instanceof stdClass) {
            throw InvalidPayload::at($path, 'expected an object');
        }
        $status = $this->oneOf($raw, 'status', "{$path}.status", self::STATUSES);
        $labels = $this->labelSet($raw, 'labels', "{$path}.labels");
        $annotations = property_exists($raw, 'annotations') ? $this->labelSet($raw, 'annotations', "{$path}.annotations") : [];
        $startsAt = $this->time($raw, 'startsAt', "{$path}.startsAt");
        $endsAt = $this->time($raw, 'endsAt', "{$path}.endsAt");
        $fingerprint = $this->string($raw, 'fingerprint', "{$path}.fingerprint");
        if (!isset($labels['alertname'])) {
            throw InvalidPayload::at("{$path}.labels", 'missing label "alertname"');
        }
        return Alert::fromFields($status, $labels, $annotations, $startsAt, $endsAt, $fingerprint);
    }

    private function string(stdClass $object, string $key, string $path): string
    {
        if (!property_exists($object, $key)) {
            throw InvalidPayload::at($path, 'missing');
        }
        if (!is_string($object->{$key})) {
            throw InvalidPayload::at($path, 'expected a string');
        }
        return $object->{$key};
    }

    /** @param list<string> $allowed */
    private function oneOf(stdClass $object, string $key, string $path, array $allowed): string
    {
        $value = $this->string($object, $key, $path);
        if (!in_array($value, $allowed, true)) {
            throw InvalidPayload::at($path, sprintf('expected one of %s, got "%s"', implode(', ', $allowed), $value));
        }
        return $value;
    }

    private function time(stdClass $object, string $key, string $path): string
    {
        $value = $this->string($object, $key, $path);
        if (preg_match(self::RFC3339, $value) !== 1) {
            throw InvalidPayload::at($path, "expected an RFC 3339 time, got \"{$value}\"");
        }
        return $value;
    }

    /** @return array<string, string> */
    private function labelSet(stdClass $object, string $key, string $path): array
    {
        if (!property_exists($object, $key)) {
            throw InvalidPayload::at($path, 'missing');
        }
        $set = $object->{$key};
        if (!$set instanceof stdClass) {
            throw InvalidPayload::at($path, 'expected an object of string values');
        }
        $labels = [];
        foreach (get_object_vars($set) as $name => $value) {
            if (!is_string($value)) {
                throw InvalidPayload::at("{$path}.{$name}", 'expected a string');
            }
            $labels[(string) $name] = $value;
        }
        return $labels;
    }
}
