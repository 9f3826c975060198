<?php

declare(strict_types=1);

namespace Driftline\Router;

use Closure;

/**
 * Splits prediction traffic between variants by weight, sticky per user
 * key, and falls back to the other variants when the chosen one gives no
 * answer or a 5xx. A 4xx is passed through: another variant would refuse
 * the same bad request.
 */
final class ModelRouter
{
    /** @param Closure(int): int $randomBelow random integer in [0, n) for requests without a user key */
    private function __construct(
        private readonly VariantSet $variants,
        private readonly InferenceClient $client,
        private readonly Closure $randomBelow,
    ) {
    }

    /** @param (callable(int): int)|null $randomBelow */
    public static function create(VariantSet $variants, InferenceClient $client, ?callable $randomBelow = null): self
    {
        $random = $randomBelow ?? static fn (int $n): int => random_int(0, $n - 1);
        return new self($variants, $client, Closure::fromCallable($random));
    }

    public function choose(?string $userKey): Variant
    {
        if ($userKey !== null && $userKey !== '') {
            return $this->variants->forUserKey($userKey);
        }
        return $this->variants->atPoint(($this->randomBelow)($this->variants->totalWeight()));
    }

    public function route(string $path, string $jsonBody, ?string $userKey): RoutedAnswer
    {
        $chosen = $this->choose($userKey);
        $failures = [];
        foreach ([$chosen, ...$this->variants->fallbacksFor($chosen)] as $variant) {
            try {
                $answer = $this->client->post($variant, $path, $jsonBody);
            } catch (UpstreamFailure $e) {
                $failures[] = $e->getMessage();
                continue;
            }
            if ($answer->isServerFailure()) {
                $failures[] = "{$variant->name()}: HTTP {$answer->status()}";
                continue;
            }
            return RoutedAnswer::answered($chosen->name(), $variant->name(), $answer, $failures);
        }
        return RoutedAnswer::unanswered($chosen->name(), $failures);
    }
}
