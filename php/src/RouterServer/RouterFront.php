<?php

declare(strict_types=1);

namespace Driftline\RouterServer;

use Driftline\Http\App;
use Driftline\Http\Request;
use Driftline\Http\Response;

/**
 * What the long-running router process answers: POST /predict, POST /predict/{model} and
 * GET /health, through the App every receiver runs (so RouteTable, ModelRouter and
 * PredictEndpoint stay the one owner of routing). The webhook, jobs and dashboard are the
 * receiver's: here they are a 404 saying so.
 */
final class RouterFront
{
    private function __construct(private readonly App $app)
    {
    }

    public static function over(App $app): self
    {
        return new self($app);
    }

    public function handle(Request $request): Response
    {
        $path = $request->path();
        if ($path === '/health' || $path === '/predict' || str_starts_with($path, '/predict/')) {
            return $this->app->handle($request);
        }
        return Response::error(404, 'not_found', "no route {$path} on the router (POST /predict/{model}, GET /health); the receiver serves the rest");
    }
}
