<?php

declare(strict_types=1);

namespace Driftline\Mlflow;

/** The few MLflow REST 2.0 calls the PHP side needs, over curl. */
final class MlflowClient
{
    private function __construct(
        private readonly string $baseUrl,
        private readonly int $connectTimeoutMs,
        private readonly int $totalTimeoutMs,
    ) {
    }

    public static function at(string $trackingUri, int $connectTimeoutMs = 2000, int $totalTimeoutMs = 10000): self
    {
        return new self(rtrim($trackingUri, '/'), $connectTimeoutMs, $totalTimeoutMs);
    }

    public function baseUrl(): string
    {
        return $this->baseUrl;
    }

    /** @return array<string, mixed> the registered_model object */
    public function registeredModel(string $name): array
    {
        $data = $this->call('GET', 'registered-models/get', ['name' => $name]);
        return (array) ($data['registered_model'] ?? []);
    }

    /**
     * Names of the registered models, sorted, at most $limit of them.
     *
     * @return list<string>
     */
    public function registeredModelNames(int $limit = 200): array
    {
        $names = [];
        $token = null;
        do {
            $params = ['max_results' => (string) min(100, $limit)];
            if ($token !== null) {
                $params['page_token'] = $token;
            }
            $data = $this->call('GET', 'registered-models/search', $params);
            foreach ((array) ($data['registered_models'] ?? []) as $model) {
                if (is_string($model['name'] ?? null)) {
                    $names[] = $model['name'];
                }
            }
            $token = is_string($data['next_page_token'] ?? null) && $data['next_page_token'] !== '' ? $data['next_page_token'] : null;
        } while ($token !== null && count($names) < $limit);
        sort($names, SORT_STRING);
        return array_slice($names, 0, $limit);
    }

    /** @return array<string, mixed>|null the model_version object, null when it does not exist */
    public function modelVersion(string $name, string $version): ?array
    {
        try {
            $data = $this->call('GET', 'model-versions/get', ['name' => $name, 'version' => $version]);
        } catch (MlflowError $e) {
            // MLflow answers a malformed or unknown version as not found or as a bad parameter.
            if ($e->isNotFound() || $e->errorCode() === 'INVALID_PARAMETER_VALUE') {
                return null;
            }
            throw $e;
        }
        return (array) ($data['model_version'] ?? []);
    }

    /** @return list<array<string, mixed>> */
    public function modelVersions(string $name, int $maxResults = 50): array
    {
        $data = $this->call('GET', 'model-versions/search', [
            'filter' => "name='" . str_replace("'", "\\'", $name) . "'",
            'max_results' => (string) $maxResults,
        ]);
        $versions = array_values((array) ($data['model_versions'] ?? []));
        usort($versions, static fn (array $a, array $b): int => (int) $b['version'] <=> (int) $a['version']);
        return $versions;
    }

    public function setAlias(string $name, string $alias, string $version): void
    {
        $this->call('POST', 'registered-models/alias', ['name' => $name, 'alias' => $alias, 'version' => $version]);
    }

    public function setRegisteredModelTag(string $name, string $key, string $value): void
    {
        $this->call('POST', 'registered-models/set-tag', ['name' => $name, 'key' => $key, 'value' => $value]);
    }

    /** @return array<string, mixed>|null */
    public function experimentByName(string $name): ?array
    {
        try {
            $data = $this->call('GET', 'experiments/get-by-name', ['experiment_name' => $name]);
        } catch (MlflowError $e) {
            if ($e->isNotFound()) {
                return null;
            }
            throw $e;
        }
        return (array) ($data['experiment'] ?? []);
    }

    /** @return list<array<string, mixed>> newest first */
    public function searchRuns(string $experimentId, int $maxResults): array
    {
        $data = $this->call('POST', 'runs/search', [
            'experiment_ids' => [$experimentId],
            'max_results' => $maxResults,
            'order_by' => ['attributes.start_time DESC'],
        ]);
        return array_values((array) ($data['runs'] ?? []));
    }

    /**
     * @param array<string, mixed> $params query string for GET, JSON body for POST
     * @return array<string, mixed>
     */
    private function call(string $method, string $endpoint, array $params): array
    {
        $url = $this->baseUrl . '/api/2.0/mlflow/' . $endpoint;
        $handle = curl_init();
        $options = [
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT_MS => $this->connectTimeoutMs,
            CURLOPT_TIMEOUT_MS => $this->totalTimeoutMs,
            CURLOPT_NOSIGNAL => true,
            CURLOPT_HTTPHEADER => ['Accept: application/json', 'Content-Type: application/json'],
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
        ];
        if ($method === 'GET') {
            $options[CURLOPT_URL] = $url . '?' . http_build_query($params);
        } else {
            $options[CURLOPT_URL] = $url;
            $options[CURLOPT_POST] = true;
            $options[CURLOPT_POSTFIELDS] = json_encode($params, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
        }
        curl_setopt_array($handle, $options);
        $body = curl_exec($handle);
        if (!is_string($body)) {
            $why = curl_error($handle);
            curl_close($handle);
            throw MlflowError::unreachable($this->baseUrl, $why);
        }
        $status = (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        curl_close($handle);
        $data = json_decode($body, true);
        if ($status >= 400 || !is_array($data)) {
            $code = is_array($data) ? (string) ($data['error_code'] ?? 'HTTP_ERROR') : 'HTTP_ERROR';
            $message = is_array($data) ? (string) ($data['message'] ?? '') : substr($body, 0, 200);
            throw MlflowError::answered($status, $code, $message);
        }
        return $data;
    }
}
