<?php

declare(strict_types=1);

namespace Driftline\Dashboard;

use Driftline\Contract\SharedContract;
use Driftline\Mlflow\MlflowClient;
use Driftline\Mlflow\MlflowError;
use Driftline\Queue\Job;
use Driftline\Queue\JobQueue;

/**
 * Everything the dashboard shows, gathered up front; MLflow trouble becomes a message, not a failure.
 *
 * Models come from the registry: it is where every model driftline serves, watches or
 * retrains has its versions and its champion, whether or not this receiver routes it
 * (routes are one receiver's configuration) or has queued a job for it (the queue only
 * knows models that alerted). The default model (DRIFTLINE_MODEL_NAME) comes first.
 */
final class DashboardData
{
    /**
     * @param list<array{run_id: string, name: string, status: string, started: ?int, metric: ?float, metric_name: string, better: string}> $runs
     * @param array<string, list<array{version: string, status: string, run_id: string, created: ?int, aliases: list<string>, promotion: ?string}>> $versions by model
     * @param list<Job> $jobs
     * @param array<string, int> $jobCounts
     */
    private function __construct(
        private readonly string $modelName,
        private readonly string $metricName,
        private readonly ?string $mlflowUri,
        private readonly ?string $mlflowProblem,
        private readonly array $runs,
        private readonly array $versions,
        private readonly array $jobs,
        private readonly array $jobCounts,
    ) {
    }

    public static function collect(?MlflowClient $mlflow, ?string $mlflowUri, string $modelName, string $experimentName, string $metricName, JobQueue $queue): self
    {
        $runs = [];
        $versions = [];
        $problem = null;
        if ($mlflow === null) {
            $problem = $mlflowUri === null
                ? 'MLFLOW_TRACKING_URI is not set, so runs and registry are not shown.'
                : "MLFLOW_TRACKING_URI \"{$mlflowUri}\" is not an http(s) URL; the dashboard reads MLflow over REST.";
        } else {
            try {
                $runs = self::fetchRuns($mlflow, $experimentName, $metricName);
                $versions = self::fetchModels($mlflow, $modelName);
            } catch (MlflowError $e) {
                $problem = $e->getMessage();
            }
        }
        return new self($modelName, $metricName, $mlflowUri, $problem, $runs, $versions, $queue->list(null, 20), $queue->countsByState());
    }

    /**
     * @param list<array{run_id: string, name: string, status: string, started: ?int, metric: ?float, metric_name: string, better: string}> $runs
     * @param array<string, list<array{version: string, status: string, run_id: string, created: ?int, aliases: list<string>, promotion: ?string}>> $versions by model
     * @param list<Job> $jobs
     * @param array<string, int> $jobCounts
     */
    public static function of(string $modelName, string $metricName, ?string $mlflowUri, ?string $mlflowProblem, array $runs, array $versions, array $jobs, array $jobCounts): self
    {
        return new self($modelName, $metricName, $mlflowUri, $mlflowProblem, $runs, $versions, $jobs, $jobCounts);
    }

    /** @return list<array{run_id: string, name: string, status: string, started: ?int, metric: ?float, metric_name: string, better: string}> */
    private static function fetchRuns(MlflowClient $mlflow, string $experimentName, string $metricName): array
    {
        $experiment = $mlflow->experimentByName($experimentName);
        if ($experiment === null) {
            return [];
        }
        $runs = [];
        foreach ($mlflow->searchRuns((string) $experiment['experiment_id'], 15) as $run) {
            $info = (array) ($run['info'] ?? []);
            $metrics = [];
            foreach ((array) ($run['data']['metrics'] ?? []) as $m) {
                if (is_string($m['key'] ?? null) && is_numeric($m['value'] ?? null)) {
                    $metrics[$m['key']] = (float) $m['value'];
                }
            }
            $params = [];
            foreach ((array) ($run['data']['params'] ?? []) as $p) {
                if (is_string($p['key'] ?? null)) {
                    $params[$p['key']] = (string) ($p['value'] ?? '');
                }
            }
            [$name, $better] = self::runMetric($metricName, $metrics, $params[SharedContract::TASK_PARAM] ?? SharedContract::DEFAULT_TASK);
            $runs[] = [
                'run_id' => (string) ($info['run_id'] ?? ''),
                'name' => (string) ($info['run_name'] ?? ''),
                'status' => (string) ($info['status'] ?? ''),
                'started' => isset($info['start_time']) ? (int) $info['start_time'] : null,
                'metric' => $metrics[$name] ?? null,
                'metric_name' => $name,
                'better' => $better,
            ];
        }
        return $runs;
    }

    /**
     * The figure a run's row shows: the configured metric where the run logged it, else the
     * metric the gate judges the run's task by (a regression run has MAE, no accuracy).
     *
     * @param array<string, float> $metrics
     * @return array{string, string} metric name, which way it improves
     */
    public static function runMetric(string $configured, array $metrics, string $task): array
    {
        $gate = SharedContract::GATE_METRICS[$task] ?? null;
        if (array_key_exists($configured, $metrics) || $gate === null) {
            $better = $gate !== null && $gate['name'] === $configured ? $gate['better'] : 'higher';
            return [$configured, $better];
        }
        return [$gate['name'], $gate['better']];
    }

    /** @return array<string, list<array{version: string, status: string, run_id: string, created: ?int, aliases: list<string>, promotion: ?string}>> every registered model's versions, the default model first */
    private static function fetchModels(MlflowClient $mlflow, string $defaultModel): array
    {
        $names = $mlflow->registeredModelNames();
        $ordered = in_array($defaultModel, $names, true)
            ? [$defaultModel, ...array_values(array_diff($names, [$defaultModel]))]
            : $names;
        $models = [];
        foreach ($ordered as $name) {
            $models[$name] = self::fetchVersions($mlflow, $name);
        }
        return $models;
    }

    /** @return list<array{version: string, status: string, run_id: string, created: ?int, aliases: list<string>, promotion: ?string}> */
    private static function fetchVersions(MlflowClient $mlflow, string $modelName): array
    {
        try {
            $registered = $mlflow->registeredModel($modelName);
        } catch (MlflowError $e) {
            if ($e->isNotFound()) {
                return [];
            }
            throw $e;
        }
        $aliases = [];
        foreach ((array) ($registered['aliases'] ?? []) as $alias) {
            $aliases[(string) $alias['version']][] = (string) $alias['alias'];
        }
        $versions = [];
        foreach ($mlflow->modelVersions($modelName) as $version) {
            $promotion = null;
            foreach ((array) ($version['tags'] ?? []) as $tag) {
                if (($tag['key'] ?? null) === SharedContract::PROMOTION_DECISION_TAG) {
                    $promotion = (string) $tag['value'];
                }
            }
            $number = (string) $version['version'];
            $versions[] = [
                'version' => $number,
                'status' => (string) ($version['status'] ?? ''),
                'run_id' => (string) ($version['run_id'] ?? ''),
                'created' => isset($version['creation_timestamp']) ? (int) $version['creation_timestamp'] : null,
                'aliases' => $aliases[$number] ?? [],
                'promotion' => $promotion,
            ];
        }
        return $versions;
    }

    public function modelName(): string
    {
        return $this->modelName;
    }

    public function metricName(): string
    {
        return $this->metricName;
    }

    public function mlflowUri(): ?string
    {
        return $this->mlflowUri;
    }

    public function mlflowProblem(): ?string
    {
        return $this->mlflowProblem;
    }

    /** @return list<array{run_id: string, name: string, status: string, started: ?int, metric: ?float, metric_name: string, better: string}> */
    public function runs(): array
    {
        return $this->runs;
    }

    /** @return array<string, list<array{version: string, status: string, run_id: string, created: ?int, aliases: list<string>, promotion: ?string}>> by model, the default model first */
    public function versions(): array
    {
        return $this->versions;
    }

    /** @return list<Job> */
    public function jobs(): array
    {
        return $this->jobs;
    }

    /** @return array<string, int> */
    public function jobCounts(): array
    {
        return $this->jobCounts;
    }
}
