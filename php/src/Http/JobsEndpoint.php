<?php

declare(strict_types=1);

namespace Driftline\Http;

use Driftline\Queue\JobQueue;
use Driftline\Queue\JobState;

/** GET /jobs (optional ?state= and ?limit=) and GET /jobs/{id}. */
final class JobsEndpoint
{
    private function __construct(private readonly JobQueue $queue)
    {
    }

    public static function on(JobQueue $queue): self
    {
        return new self($queue);
    }

    public function list(Request $request): Response
    {
        $state = null;
        $rawState = $request->query('state');
        if ($rawState !== null) {
            $state = JobState::tryFrom($rawState);
            if ($state === null) {
                $allowed = implode(', ', array_map(static fn (JobState $s): string => $s->value, JobState::cases()));
                return Response::error(400, 'invalid_query', "state must be one of {$allowed}", 'state');
            }
        }
        $rawLimit = $request->query('limit') ?? '50';
        if (!ctype_digit($rawLimit) || (int) $rawLimit < 1 || (int) $rawLimit > 500) {
            return Response::error(400, 'invalid_query', 'limit must be a whole number from 1 to 500', 'limit');
        }
        $jobs = $this->queue->list($state, (int) $rawLimit);
        return Response::json(200, [
            'jobs' => array_map(static fn ($job): array => $job->toArray(), $jobs),
            'counts' => $this->queue->countsByState(),
        ]);
    }

    public function one(string $id): Response
    {
        $job = ctype_digit($id) ? $this->queue->get((int) $id) : null;
        if ($job === null) {
            return Response::error(404, 'not_found', "no job with id {$id}");
        }
        return Response::json(200, $job->toArray());
    }
}
