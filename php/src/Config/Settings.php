<?php

declare(strict_types=1);

namespace Driftline\Config;

use Driftline\Contract\SharedContract;
use Driftline\Router\RouteTable;
use InvalidArgumentException;

/**
 * Everything the PHP side reads from the environment, parsed once into one
 * value. Every variable is documented in php/README.md.
 */
final class Settings
{
    // 30 days: the recent notifications stay for looking into an alert; 0 keeps all.
    public const DEFAULT_NOTIFICATION_RETENTION_SECONDS = 30 * 86_400;

    private function __construct(
        private readonly string $home,
        private readonly ?string $webhookTokenFile,
        private readonly int $maxBodyBytes,
        private readonly int $cooldownSeconds,
        private readonly string $retrainCommand,
        private readonly int $retrainTimeoutSeconds,
        private readonly int $maxAttempts,
        private readonly float $staleAfterSeconds,
        private readonly float $heartbeatSeconds,
        private readonly float $pollSeconds,
        private readonly ?string $routes,
        private readonly ?string $variants,
        private readonly int $connectTimeoutMs,
        private readonly int $totalTimeoutMs,
        private readonly ?string $mlflowUri,
        private readonly string $modelName,
        private readonly string $experimentName,
        private readonly string $dashboardMetric,
        private readonly int $notificationRetentionSeconds,
    ) {
    }

    /** @param array<string, string> $env usually getenv() */
    public static function fromEnvironment(array $env): self
    {
        $home = self::text($env, 'DRIFTLINE_HOME') ?? (getcwd() . '/.driftline');
        return new self(
            home: rtrim($home, '/'),
            webhookTokenFile: self::text($env, SharedContract::WEBHOOK_TOKEN_FILE_ENV),
            maxBodyBytes: self::positiveInt($env, 'DRIFTLINE_MAX_BODY_BYTES', 1_048_576),
            cooldownSeconds: self::nonNegativeInt($env, 'DRIFTLINE_RETRAIN_COOLDOWN_SECONDS', 3600),
            retrainCommand: self::text($env, 'DRIFTLINE_RETRAIN_COMMAND') ?? 'driftline retrain',
            retrainTimeoutSeconds: self::positiveInt($env, 'DRIFTLINE_RETRAIN_TIMEOUT_SECONDS', 7200),
            maxAttempts: self::positiveInt($env, 'DRIFTLINE_JOB_MAX_ATTEMPTS', 3),
            staleAfterSeconds: self::positiveFloat($env, 'DRIFTLINE_JOB_STALE_SECONDS', 120.0),
            heartbeatSeconds: self::positiveFloat($env, 'DRIFTLINE_JOB_HEARTBEAT_SECONDS', 10.0),
            pollSeconds: self::positiveFloat($env, 'DRIFTLINE_WORKER_POLL_SECONDS', 2.0),
            routes: self::text($env, RouteTable::ROUTES_ENV),
            variants: self::text($env, RouteTable::VARIANTS_ENV),
            connectTimeoutMs: self::positiveInt($env, 'DRIFTLINE_ROUTER_CONNECT_TIMEOUT_MS', 500),
            totalTimeoutMs: self::positiveInt($env, 'DRIFTLINE_ROUTER_TIMEOUT_MS', 5000),
            mlflowUri: self::text($env, 'MLFLOW_TRACKING_URI'),
            modelName: self::text($env, RouteTable::MODEL_NAME_ENV) ?? SharedContract::DEFAULT_MODEL_NAME,
            experimentName: self::text($env, 'DRIFTLINE_EXPERIMENT') ?? 'driftline',
            dashboardMetric: self::text($env, 'DRIFTLINE_DASHBOARD_METRIC') ?? 'accuracy',
            notificationRetentionSeconds: self::nonNegativeInt(
                $env,
                'DRIFTLINE_NOTIFICATION_RETENTION_SECONDS',
                self::DEFAULT_NOTIFICATION_RETENTION_SECONDS,
            ),
        );
    }

    public function home(): string
    {
        return $this->home;
    }

    public function queuePath(): string
    {
        return $this->home . '/receiver/queue.db';
    }

    public function jobLogDir(): string
    {
        return $this->home . '/receiver/jobs';
    }

    public function routerLogPath(): string
    {
        return $this->home . '/router/decisions.jsonl';
    }

    public function webhookTokenFile(): ?string
    {
        return $this->webhookTokenFile;
    }

    public function maxBodyBytes(): int
    {
        return $this->maxBodyBytes;
    }

    public function cooldownSeconds(): int
    {
        return $this->cooldownSeconds;
    }

    public function retrainCommand(): string
    {
        return $this->retrainCommand;
    }

    public function retrainTimeoutSeconds(): int
    {
        return $this->retrainTimeoutSeconds;
    }

    public function maxAttempts(): int
    {
        return $this->maxAttempts;
    }

    public function staleAfterSeconds(): float
    {
        return $this->staleAfterSeconds;
    }

    public function heartbeatSeconds(): float
    {
        return $this->heartbeatSeconds;
    }

    public function pollSeconds(): float
    {
        return $this->pollSeconds;
    }

    /** DRIFTLINE_ROUTES as given (JSON, parsed by Router\RouteTable when a prediction comes). */
    public function routes(): ?string
    {
        return $this->routes;
    }

    public function variants(): ?string
    {
        return $this->variants;
    }

    public function connectTimeoutMs(): int
    {
        return $this->connectTimeoutMs;
    }

    public function totalTimeoutMs(): int
    {
        return $this->totalTimeoutMs;
    }

    public function mlflowUri(): ?string
    {
        return $this->mlflowUri;
    }

    public function modelName(): string
    {
        return $this->modelName;
    }

    public function experimentName(): string
    {
        return $this->experimentName;
    }

    public function dashboardMetric(): string
    {
        return $this->dashboardMetric;
    }

    /** How long received notifications are kept; 0 keeps them all. */
    public function notificationRetentionSeconds(): int
    {
        return $this->notificationRetentionSeconds;
    }

    /** @param array<string, string> $env */
    private static function text(array $env, string $name): ?string
    {
        $value = $env[$name] ?? '';
        return trim($value) === '' ? null : trim($value);
    }

    /** @param array<string, string> $env */
    private static function positiveInt(array $env, string $name, int $default): int
    {
        $value = self::nonNegativeInt($env, $name, $default);
        if ($value === 0) {
            throw new InvalidArgumentException("{$name} must be a positive integer, got 0");
        }
        return $value;
    }

    /** @param array<string, string> $env */
    private static function nonNegativeInt(array $env, string $name, int $default): int
    {
        $raw = self::text($env, $name);
        if ($raw === null) {
            return $default;
        }
        if (preg_match('/^\d+$/', $raw) !== 1) {
            throw new InvalidArgumentException("{$name} must be a whole number, got '{$raw}'");
        }
        return (int) $raw;
    }

    /** @param array<string, string> $env */
    private static function positiveFloat(array $env, string $name, float $default): float
    {
        $raw = self::text($env, $name);
        if ($raw === null) {
            return $default;
        }
        if (!is_numeric($raw) || (float) $raw <= 0.0) {
            throw new InvalidArgumentException("{$name} must be a positive number of seconds, got '{$raw}'");
        }
        return (float) $raw;
    }
}
