<?php

declare(strict_types=1);

namespace Driftline\Mlflow;

use InvalidArgumentException;

/**
 * The registered-model tag listing the versions that held `champion`,
 * oldest first, the current champion last (driftline/registry_contract.py).
 */
final class ChampionHistory
{
    /** @param list<string> $versions */
    private function __construct(private readonly array $versions)
    {
    }

    public static function fromTagValue(?string $value): self
    {
        if ($value === null || trim($value) === '') {
            return new self([]);
        }
        $data = json_decode($value, true);
        if (!is_array($data) || !array_is_list($data)) {
            throw new InvalidArgumentException('champion history tag is not a JSON list');
        }
        $versions = [];
        foreach ($data as $entry) {
            if (!is_string($entry) && !is_int($entry)) {
                throw new InvalidArgumentException('champion history holds a non-version entry');
            }
            $versions[] = (string) $entry;
        }
        return new self($versions);
    }

    /** @param list<string> $versions */
    public static function of(array $versions): self
    {
        return new self(array_values($versions));
    }

    /** @return list<string> */
    public function versions(): array
    {
        return $this->versions;
    }

    public function current(): ?string
    {
        return $this->versions === [] ? null : $this->versions[count($this->versions) - 1];
    }

    /** Makes $champion the last entry if the tag fell behind the alias (e.g. a manual alias move). */
    public function reconciledWith(?string $champion): self
    {
        if ($champion === null || $this->current() === $champion) {
            return $this;
        }
        return new self([...$this->versions, $champion]);
    }

    public function withoutCurrent(): self
    {
        return new self(array_slice($this->versions, 0, -1));
    }

    public function with(string $version): self
    {
        return new self([...$this->versions, $version]);
    }

    public function toTagValue(): string
    {
        return json_encode($this->versions, JSON_THROW_ON_ERROR);
    }
}
