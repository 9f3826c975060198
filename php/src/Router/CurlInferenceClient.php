<?php

declare(strict_types=1);

namespace Driftline\Router;

/** InferenceClient over curl with separate connect and total timeouts. */
final class CurlInferenceClient implements InferenceClient
{
    private function __construct(private readonly int $connectTimeoutMs, private readonly int $totalTimeoutMs)
    {
    }

    public static function withTimeouts(int $connectTimeoutMs, int $totalTimeoutMs): self
    {
        return new self($connectTimeoutMs, $totalTimeoutMs);
    }

    public function post(Variant $variant, string $path, string $jsonBody): UpstreamAnswer
    {
        $handle = curl_init($variant->baseUrl() . $path);
        curl_setopt_array($handle, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $jsonBody,
            CURLOPT_HTTPHEADER => ['Content-Type: application/json', 'Accept: application/json', 'Expect:'],
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT_MS => $this->connectTimeoutMs,
            CURLOPT_TIMEOUT_MS => $this->totalTimeoutMs,
            CURLOPT_NOSIGNAL => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTP | CURLPROTO_HTTPS,
        ]);
        $body = curl_exec($handle);
        if ($body === false || !is_string($body)) {
            $why = curl_error($handle) . ' (curl ' . curl_errno($handle) . ')';
            curl_close($handle);
            throw UpstreamFailure::because($variant->name(), $why);
        }
        $status = (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        curl_close($handle);
        return UpstreamAnswer::of($status, $body);
    }
}
