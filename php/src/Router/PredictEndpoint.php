<?php

declare(strict_types=1);

namespace Driftline\Router;

use Driftline\Http\Request;
use Driftline\Http\Response;
use JsonException;

/**
 * POST /predict/{model} (and /predict, the default model) in front of that
 * model's inference servers. The user key comes from
 * the X-User-Key header or, failing that, a top-level "user_key" body field
 * (removed before forwarding). The answer is the inference server's JSON
 * plus "variant" and "fallback", and an X-Driftline-Variant header.
 */
final class PredictEndpoint
{
    public const VARIANT_HEADER = 'X-Driftline-Variant';

    private function __construct(
        private readonly string $model,
        private readonly ModelRouter $router,
        private readonly DecisionLog $log,
        private readonly int $maxBodyBytes,
    ) {
    }

    public static function with(string $model, ModelRouter $router, DecisionLog $log, int $maxBodyBytes): self
    {
        return new self($model, $router, $log, $maxBodyBytes);
    }

    public function handle(Request $request): Response
    {
        if ($request->mediaType() !== 'application/json') {
            return Response::error(415, 'unsupported_media_type', 'expected Content-Type application/json', 'Content-Type');
        }
        if (strlen($request->body()) > $this->maxBodyBytes) {
            return Response::error(413, 'payload_too_large', "body exceeds {$this->maxBodyBytes} bytes");
        }
        try {
            $body = json_decode($request->body(), true, 64, JSON_THROW_ON_ERROR);
        } catch (JsonException $e) {
            return Response::error(400, 'invalid_json', 'body is not valid JSON: ' . $e->getMessage(), 'body');
        }
        if (!is_array($body) || array_is_list($body)) {
            return Response::error(400, 'invalid_body', 'expected a JSON object', 'body');
        }
        $userKey = $request->header('x-user-key');
        if (array_key_exists('user_key', $body)) {
            if (!is_string($body['user_key'])) {
                return Response::error(400, 'invalid_body', 'user_key must be a string', 'user_key');
            }
            $userKey ??= $body['user_key'];
            unset($body['user_key']);
        }
        $forward = json_encode($body === [] ? new \stdClass() : $body, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_PRESERVE_ZERO_FRACTION);
        $routed = $this->router->route('/predict', $forward, $userKey);
        $this->log->record($this->model, $routed, $userKey);
        $answer = $routed->answer();
        if ($answer === null || $routed->answeredBy() === null) {
            return Response::json(502, ['error' => [
                'code' => 'upstream_unavailable',
                'message' => "no variant of model {$this->model} answered: " . implode('; ', $routed->failures()),
            ], 'variant' => null, 'fallback' => false]);
        }
        $data = json_decode($answer->body(), true);
        if (!is_array($data) || array_is_list($data)) {
            return Response::error(502, 'upstream_invalid', "variant {$routed->answeredBy()} answered with non-JSON-object body")
                ->withHeader(self::VARIANT_HEADER, $routed->answeredBy());
        }
        $data['variant'] = $routed->answeredBy();
        $data['fallback'] = $routed->isFallback();
        return Response::json($answer->status(), $data, [self::VARIANT_HEADER => $routed->answeredBy()]);
    }
}
