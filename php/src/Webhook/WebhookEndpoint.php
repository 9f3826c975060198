<?php

declare(strict_types=1);

namespace Driftline\Webhook;

use Driftline\Http\Request;
use Driftline\Http\Response;

/**
 * POST /alerts. Checks in order: bearer token (401), JSON content type
 * (415), body size (413), payload shape (400); only then records and
 * queues. A rejected request changes nothing but its outcome counter.
 */
final class WebhookEndpoint
{
    private function __construct(
        private readonly ?BearerToken $token,
        private readonly int $maxBodyBytes,
        private readonly PayloadParser $parser,
        private readonly AlertIntake $intake,
        private readonly WebhookLog $log,
    ) {
    }

    /** $token is null when the receiver has no usable token: then every request is refused. */
    public static function with(?BearerToken $token, int $maxBodyBytes, AlertIntake $intake, WebhookLog $log): self
    {
        return new self($token, $maxBodyBytes, PayloadParser::create(), $intake, $log);
    }

    public function handle(Request $request): Response
    {
        if ($this->token === null) {
            $this->log->count('unauthorized');
            return Response::error(503, 'token_not_configured', 'the receiver has no webhook token; set DRIFTLINE_WEBHOOK_TOKEN_FILE to a readable, non-empty file');
        }
        if (!$this->token->admits($request->header('authorization'))) {
            $this->log->count('unauthorized');
            return Response::error(401, 'unauthorized', 'missing or wrong bearer token', null, ['WWW-Authenticate' => 'Bearer']);
        }
        if ($request->mediaType() !== 'application/json') {
            $this->log->count('rejected');
            return Response::error(415, 'unsupported_media_type', sprintf('expected Content-Type application/json, got "%s"', $request->header('content-type') ?? ''), 'Content-Type');
        }
        $declared = $request->declaredLength();
        if (strlen($request->body()) > $this->maxBodyBytes || ($declared !== null && $declared > $this->maxBodyBytes)) {
            $this->log->count('rejected');
            return Response::error(413, 'payload_too_large', "body exceeds {$this->maxBodyBytes} bytes");
        }
        try {
            $payload = $this->parser->parse($request->body());
        } catch (InvalidPayload $e) {
            $this->log->count('rejected');
            return Response::error(400, 'invalid_payload', $e->getMessage(), $e->field());
        }
        $result = $this->intake->receive($payload, $request->body());
        return Response::json($result->httpStatus(), $result->toArray());
    }
}
