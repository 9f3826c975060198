<?php

declare(strict_types=1);

namespace Driftline\Http;

use Driftline\Clock\Clock;
use Driftline\Config\Settings;
use Driftline\Dashboard\DashboardData;
use Driftline\Dashboard\DashboardPage;
use Driftline\Metrics\ReceiverMetrics;
use Driftline\Mlflow\MlflowClient;
use Driftline\Queue\Database;
use Driftline\Queue\JobQueue;
use Driftline\Queue\QueuePolicy;
use Driftline\Router\KeepAliveInferenceClient;
use Driftline\Router\DecisionLog;
use Driftline\Router\ModelRouter;
use Driftline\Router\PredictEndpoint;
use Driftline\Router\RouterNotConfigured;
use Driftline\Router\RouteTable;
use Driftline\Webhook\AlertIntake;
use Driftline\Webhook\BearerToken;
use Driftline\Webhook\NotificationRetention;
use Driftline\Webhook\WebhookEndpoint;
use Driftline\Webhook\WebhookLog;
use InvalidArgumentException;
use RuntimeException;

/** Routes a request to its endpoint; what public/index.php runs. */
final class App
{
    private ?JobQueue $queue = null;
    private RouteTable|Response|null $routes = null;
    private ?KeepAliveInferenceClient $client = null;
    private ?DecisionLog $decisions = null;
    /** @var array<string, PredictEndpoint> by model */
    private array $endpoints = [];

    private function __construct(private readonly Settings $settings, private readonly Clock $clock)
    {
    }

    public static function create(Settings $settings, Clock $clock): self
    {
        return new self($settings, $clock);
    }

    public function handle(Request $request): Response
    {
        $method = $request->method();
        $path = rtrim($request->path(), '/') === '' ? '/' : rtrim($request->path(), '/');
        $routes = [
            '/' => ['GET' => fn (): Response => $this->dashboard()],
            '/health' => ['GET' => fn (): Response => Response::json(200, ['status' => 'ok'])],
            '/alerts' => ['POST' => fn (): Response => $this->webhook()->handle($request)],
            '/jobs' => ['GET' => fn (): Response => JobsEndpoint::on($this->queue())->list($request)],
            '/metrics' => ['GET' => fn (): Response => $this->metrics()],
            '/predict' => ['POST' => fn (): Response => $this->predict($request, null)],
        ];
        if (preg_match('#^/jobs/([^/]+)$#', $path, $m) === 1) {
            $routes[$path] = ['GET' => fn (): Response => JobsEndpoint::on($this->queue())->one($m[1])];
        }
        if (preg_match('#^/predict/([^/]+)$#', $path, $m) === 1) {
            $model = rawurldecode($m[1]);
            $routes[$path] = ['POST' => fn (): Response => $this->predict($request, $model)];
        }
        if (!isset($routes[$path])) {
            return Response::error(404, 'not_found', "no route {$path}");
        }
        $handler = $routes[$path][$method] ?? null;
        if ($handler === null) {
            $allowed = implode(', ', array_keys($routes[$path]));
            return Response::error(405, 'method_not_allowed', "{$path} accepts {$allowed}", null, ['Allow' => $allowed]);
        }
        return $handler();
    }

    private function queue(): JobQueue
    {
        return $this->queue ??= JobQueue::on(
            Database::open($this->settings->queuePath()),
            $this->clock,
            QueuePolicy::fromSettings($this->settings),
        );
    }

    private function webhook(): WebhookEndpoint
    {
        $queue = $this->queue();
        $log = $this->webhookLog($queue);
        $token = null;
        $tokenFile = $this->settings->webhookTokenFile();
        if ($tokenFile !== null) {
            try {
                $token = BearerToken::fromFile($tokenFile);
            } catch (RuntimeException $e) {
                error_log('driftline receiver: ' . $e->getMessage());
            }
        }
        return WebhookEndpoint::with($token, $this->settings->maxBodyBytes(), AlertIntake::with($queue, $log), $log);
    }

    private function webhookLog(JobQueue $queue): WebhookLog
    {
        return WebhookLog::on($queue->pdo(), $this->clock, NotificationRetention::fromSettings($this->settings));
    }

    private function metrics(): Response
    {
        $queue = $this->queue();
        $text = ReceiverMetrics::render(
            $this->webhookLog($queue)->outcomeCounts(),
            $queue->countsByState(),
            $queue->lastFinishedDuration(),
        );
        return Response::text(200, ReceiverMetrics::CONTENT_TYPE, $text);
    }

    /** @param ?string $model from the path; null: the default model (DRIFTLINE_MODEL_NAME) */
    private function predict(Request $request, ?string $model): Response
    {
        $table = $this->routeTable();
        if ($table instanceof Response) {
            return $table;
        }
        $name = $model ?? $table->defaultModel();
        $endpoint = $this->endpoints[$name] ?? null;
        if ($endpoint === null) {
            $variants = $table->variantsFor($name);
            if ($variants === null) {
                return $this->unrouted($table, $name, $model === null);
            }
            // Built once per model and process: a long-running router (bin/router.php) keeps
            // them, with the client's kept-alive connections and the decision log's open file.
            $this->client ??= KeepAliveInferenceClient::withTimeouts($this->settings->connectTimeoutMs(), $this->settings->totalTimeoutMs());
            $this->decisions ??= DecisionLog::at($this->settings->routerLogPath(), $this->clock);
            $endpoint = $this->endpoints[$name] = PredictEndpoint::with($name, ModelRouter::create($variants, $this->client), $this->decisions, $this->settings->maxBodyBytes());
        }
        return $endpoint->handle($request);
    }

    /** The route table, or the 503 a broken configuration gets: parsed once per App. */
    private function routeTable(): RouteTable|Response
    {
        if ($this->routes === null) {
            try {
                $this->routes = RouteTable::fromEnvironment($this->settings->routes(), $this->settings->variants(), $this->settings->modelName());
            } catch (RouterNotConfigured $e) {
                $this->routes = Response::error(503, 'router_not_configured', $e->getMessage());
            } catch (InvalidArgumentException $e) {
                $this->routes = Response::error(503, 'router_misconfigured', $e->getMessage());
            }
        }
        return $this->routes;
    }

    private function unrouted(RouteTable $table, string $name, bool $isDefault): Response
    {
        $known = implode(', ', $table->models());
        if ($isDefault) {
            // The caller asked for the default model: the configuration is wrong, not the request.
            return Response::error(503, 'router_misconfigured', sprintf(
                'the default model %s (%s) has no route in %s; routed models: %s',
                $name, RouteTable::MODEL_NAME_ENV, RouteTable::ROUTES_ENV, $known,
            ));
        }
        return Response::json(404, ['error' => [
            'code' => 'unknown_model',
            'message' => "no route for model \"{$name}\"; routed models: {$known}",
            'field' => 'model',
        ], 'models' => $table->models()]);
    }

    private function dashboard(): Response
    {
        $mlflowUri = $this->settings->mlflowUri();
        $mlflow = $mlflowUri !== null && preg_match('#^https?://#', $mlflowUri) === 1 ? MlflowClient::at($mlflowUri) : null;
        $data = DashboardData::collect(
            $mlflow,
            $mlflowUri,
            $this->settings->modelName(),
            $this->settings->experimentName(),
            $this->settings->dashboardMetric(),
            $this->queue(),
        );
        $html = DashboardPage::render($data, $this->clock->now());
        return Response::text(200, 'text/html; charset=utf-8', $html);
    }
}
