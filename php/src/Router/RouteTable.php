<?php

declare(strict_types=1);

namespace Driftline\Router;

use InvalidArgumentException;
use JsonException;

/**
 * Which variants serve which model, from the environment (docs/router.md):
 * DRIFTLINE_ROUTES is a JSON object mapping model name to a variant spec
 * (VariantSet's NAME=URL:WEIGHT list); DRIFTLINE_VARIANTS alone is the spec
 * of the default model, DRIFTLINE_MODEL_NAME, which POST /predict (no model
 * in the path) goes to.
 */
final class RouteTable
{
    public const ROUTES_ENV = 'DRIFTLINE_ROUTES';
    public const VARIANTS_ENV = 'DRIFTLINE_VARIANTS';
    public const MODEL_NAME_ENV = 'DRIFTLINE_MODEL_NAME';

    // A model name is a path segment of POST /predict/{model}: nothing to escape.
    private const MODEL_NAME = '/^[A-Za-z0-9_.-]+$/';

    /** @param non-empty-array<string, VariantSet> $routes */
    private function __construct(private readonly array $routes, private readonly string $defaultModel)
    {
    }

    /**
     * @throws RouterNotConfigured when neither variable is set
     * @throws InvalidArgumentException naming the variable and what is wrong with it
     */
    public static function fromEnvironment(?string $routesJson, ?string $variantsSpec, string $defaultModel): self
    {
        if ($routesJson !== null && $variantsSpec !== null) {
            throw new InvalidArgumentException(
                self::ROUTES_ENV . ' and ' . self::VARIANTS_ENV . ' are both set; set ' . self::ROUTES_ENV
                . ' alone (' . self::VARIANTS_ENV . ' is the routes of the default model only)',
            );
        }
        if ($routesJson !== null) {
            return new self(self::parseRoutes($routesJson), $defaultModel);
        }
        if ($variantsSpec !== null) {
            try {
                return new self([$defaultModel => VariantSet::fromSpec($variantsSpec)], $defaultModel);
            } catch (InvalidArgumentException $e) {
                throw new InvalidArgumentException(self::VARIANTS_ENV . ': ' . $e->getMessage(), 0, $e);
            }
        }
        throw new RouterNotConfigured('set ' . self::ROUTES_ENV . ' (or ' . self::VARIANTS_ENV . ' for one model) to route predictions');
    }

    /** @return non-empty-array<string, VariantSet> */
    private static function parseRoutes(string $json): array
    {
        $env = self::ROUTES_ENV;
        try {
            $decoded = json_decode($json, false, 4, JSON_THROW_ON_ERROR);
        } catch (JsonException $e) {
            throw new InvalidArgumentException("{$env} is not valid JSON: {$e->getMessage()}", 0, $e);
        }
        // Decoded as objects, so {} and [] stay apart: only an object maps names to specs.
        if (!$decoded instanceof \stdClass) {
            throw new InvalidArgumentException("{$env} must be a JSON object mapping model name to variant spec, got " . self::jsonType($decoded));
        }
        $routes = [];
        foreach (get_object_vars($decoded) as $model => $spec) {
            $model = (string) $model;
            if (preg_match(self::MODEL_NAME, $model) !== 1) {
                throw new InvalidArgumentException("{$env}: model name \"{$model}\" must use letters, digits, '_', '.', '-'");
            }
            if (!is_string($spec)) {
                throw new InvalidArgumentException("{$env}: model {$model}: expected a variant spec string NAME=URL:WEIGHT,..., got " . self::jsonType($spec));
            }
            try {
                $routes[$model] = VariantSet::fromSpec($spec);
            } catch (InvalidArgumentException $e) {
                throw new InvalidArgumentException("{$env}: model {$model}: {$e->getMessage()}", 0, $e);
            }
        }
        if ($routes === []) {
            throw new InvalidArgumentException("{$env} names no model; give at least one, e.g. {\"churn\": \"champion=http://127.0.0.1:8000:100\"}");
        }
        return $routes;
    }

    /** The JSON name of a decoded value, for messages. */
    private static function jsonType(mixed $value): string
    {
        return match (true) {
            $value instanceof \stdClass => 'an object',
            is_array($value) => 'an array',
            is_string($value) => 'a string',
            is_bool($value) => 'a boolean',
            $value === null => 'null',
            default => 'a number',
        };
    }

    public function defaultModel(): string
    {
        return $this->defaultModel;
    }

    /** The variants of $model, null when the table has no route for it. */
    public function variantsFor(string $model): ?VariantSet
    {
        return $this->routes[$model] ?? null;
    }

    /** @return non-empty-list<string> in configured order */
    public function models(): array
    {
        return array_map('strval', array_keys($this->routes));
    }
}
