<?php

declare(strict_types=1);

namespace Driftline\Router;

/** Sends one request to an inference server. */
interface InferenceClient
{
    /** @throws UpstreamFailure when no HTTP answer came back */
    public function post(Variant $variant, string $path, string $jsonBody): UpstreamAnswer;
}
