<?php

declare(strict_types=1);

namespace Driftline\Worker;

use Driftline\Contract\SharedContract;

/**
 * What the promotion gate compared, read from an outcome line's `figures`
 * (driftline/retrain_contract.py): the metric, which way it improves, the two
 * scores on the recent holdout and the margin. Lines from before `better` and
 * `margin_kind` existed judged accuracy: higher is better, an absolute margin.
 */
final class GateFigures
{
    private function __construct(
        public readonly string $metric,
        public readonly string $better,
        public readonly string $marginKind,
        public readonly float $challengerScore,
        public readonly float $championScore,
        public readonly ?float $margin,
    ) {
    }

    /**
     * @param array<mixed> $figures an outcome's `figures` object
     * @return self|null null when the line carries no decision (too few labels, a failure)
     */
    public static function fromFigures(array $figures): ?self
    {
        $metric = $figures['metric'] ?? null;
        $challenger = $figures['challenger_score'] ?? null;
        $champion = $figures['champion_score'] ?? null;
        if (!is_string($metric) || $metric === '' || !self::isNumber($challenger) || !self::isNumber($champion)) {
            return null;
        }
        $better = $figures['better'] ?? 'higher';
        $marginKind = $figures['margin_kind'] ?? 'absolute';
        $margin = $figures['margin'] ?? null;
        return new self(
            $metric,
            is_string($better) && in_array($better, SharedContract::OUTCOME_BETTER, true) ? $better : 'higher',
            is_string($marginKind) && in_array($marginKind, SharedContract::OUTCOME_MARGIN_KINDS, true) ? $marginKind : 'absolute',
            (float) $challenger,
            (float) $champion,
            self::isNumber($margin) ? (float) $margin : null,
        );
    }

    /** @param mixed $outcome a job's stored outcome object, or null */
    public static function fromOutcome(mixed $outcome): ?self
    {
        if (!is_array($outcome) || !is_array($outcome['figures'] ?? null)) {
            return null;
        }
        return self::fromFigures($outcome['figures']);
    }

    /** e.g. `mae: challenger 23706.2, champion 49473.4 (lower is better, margin 1% of champion's)` */
    public function summary(): string
    {
        return sprintf(
            '%s: challenger %s, champion %s (%s is better%s)',
            $this->metric,
            self::number($this->challengerScore),
            self::number($this->championScore),
            $this->better,
            $this->margin === null ? '' : ', margin ' . $this->marginText(),
        );
    }

    /** The margin as the gate reads it: points, or a share of the champion's figure. */
    public function marginText(): string
    {
        if ($this->margin === null) {
            return '';
        }
        if ($this->marginKind === 'relative') {
            return self::number($this->margin * 100) . "% of champion's";
        }
        return self::number($this->margin);
    }

    /** Six significant digits: 0.8125 and 23706.2 alike, without float noise. */
    public static function number(float $value): string
    {
        return sprintf('%.6G', $value);
    }

    private static function isNumber(mixed $value): bool
    {
        return (is_int($value) || is_float($value)) && is_finite((float) $value);
    }
}
