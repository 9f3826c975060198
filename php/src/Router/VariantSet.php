<?php

declare(strict_types=1);

namespace Driftline\Router;

use InvalidArgumentException;

/**
 * The variants and their weights, in configured order. Parsed from
 * DRIFTLINE_VARIANTS: comma-separated NAME=URL:WEIGHT, the weight after the
 * URL's last colon, e.g. "champion=http://127.0.0.1:8000:95,challenger=http://127.0.0.1:8001:5".
 */
final class VariantSet
{
    public const MAX_WEIGHT = 1000;

    /** @param non-empty-list<Variant> $variants */
    private function __construct(private readonly array $variants, private readonly int $totalWeight)
    {
    }

    public static function fromSpec(string $spec): self
    {
        $variants = [];
        foreach (explode(',', $spec) as $part) {
            $part = trim($part);
            if ($part === '') {
                continue;
            }
            if (preg_match('/^([^=]+)=(.+):(\d+)$/', $part, $m) !== 1) {
                throw new InvalidArgumentException("\"{$part}\" is not NAME=URL:WEIGHT");
            }
            // The weight follows the URL's last colon, so a forgotten weight
            // would read the port as one; weights are capped to catch that.
            if ((int) $m[3] > self::MAX_WEIGHT) {
                throw new InvalidArgumentException("\"{$part}\": weight {$m[3]} is above " . self::MAX_WEIGHT . '; write NAME=URL:WEIGHT (the URL keeps its port)');
            }
            $variants[] = Variant::of(trim($m[1]), trim($m[2]), (int) $m[3]);
        }
        return self::of($variants);
    }

    /** @param list<Variant> $variants */
    public static function of(array $variants): self
    {
        if ($variants === []) {
            throw new InvalidArgumentException('no variants configured');
        }
        $names = array_map(static fn (Variant $v): string => $v->name(), $variants);
        if (count(array_unique($names)) !== count($names)) {
            throw new InvalidArgumentException('variant names must be unique, got ' . implode(', ', $names));
        }
        $total = array_sum(array_map(static fn (Variant $v): int => $v->weight(), $variants));
        if ($total <= 0) {
            throw new InvalidArgumentException('at least one variant needs a weight above 0');
        }
        return new self($variants, $total);
    }

    /** @return non-empty-list<Variant> */
    public function all(): array
    {
        return $this->variants;
    }

    public function totalWeight(): int
    {
        return $this->totalWeight;
    }

    /**
     * The variant owning $point of the weight line [0, totalWeight).
     * Variants are laid end to end in configured order.
     */
    public function atPoint(int $point): Variant
    {
        if ($point < 0 || $point >= $this->totalWeight) {
            throw new InvalidArgumentException("point {$point} outside [0, {$this->totalWeight})");
        }
        foreach ($this->variants as $variant) {
            if ($point < $variant->weight()) {
                return $variant;
            }
            $point -= $variant->weight();
        }
        throw new \LogicException('unreachable: weights sum to totalWeight');
    }

    /**
     * Sticky choice: a user key always lands on the same point, because the
     * point comes from a hash of the key (first 32 bits of SHA-256, uniform
     * enough that weights hold across users). Changing weights moves only
     * the users near the moved boundaries.
     */
    public function forUserKey(string $userKey): Variant
    {
        $hash = unpack('N', substr(hash('sha256', $userKey, true), 0, 4));
        $unit = ((int) $hash[1]) / 4294967296.0;
        return $this->atPoint((int) floor($unit * $this->totalWeight));
    }

    /** The other variants to try when $first failed: heaviest first, zero weight included. */
    public function fallbacksFor(Variant $first): array
    {
        $others = array_values(array_filter($this->variants, static fn (Variant $v): bool => $v->name() !== $first->name()));
        usort($others, static fn (Variant $a, Variant $b): int => $b->weight() <=> $a->weight());
        return $others;
    }
}
