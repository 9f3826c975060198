<?php

declare(strict_types=1);

namespace Driftline\Mlflow;

use Driftline\Contract\SharedContract;
use RuntimeException;

/**
 * Moves `champion` back: to the previous champion by default (popping the
 * history tag), or to a named version (pushed onto the history). The alias
 * moves first; the history follows, so a failure in between leaves the
 * served model right and the history one step behind, which the next
 * rollback reconciles.
 */
final class Rollback
{
    private function __construct(private readonly MlflowClient $mlflow, private readonly string $model)
    {
    }

    public static function of(MlflowClient $mlflow, string $model): self
    {
        return new self($mlflow, $model);
    }

    /** @throws RollbackRefused|MlflowError */
    public function run(?string $toVersion): RollbackResult
    {
        try {
            $registered = $this->mlflow->registeredModel($this->model);
        } catch (MlflowError $e) {
            if ($e->isNotFound()) {
                throw new RollbackRefused("no registered model named {$this->model}");
            }
            throw $e;
        }
        $champion = null;
        foreach ((array) ($registered['aliases'] ?? []) as $alias) {
            if (($alias['alias'] ?? null) === SharedContract::CHAMPION_ALIAS) {
                $champion = (string) $alias['version'];
            }
        }
        $tagValue = null;
        foreach ((array) ($registered['tags'] ?? []) as $tag) {
            if (($tag['key'] ?? null) === SharedContract::CHAMPION_HISTORY_TAG) {
                $tagValue = (string) $tag['value'];
            }
        }
        try {
            $history = ChampionHistory::fromTagValue($tagValue)->reconciledWith($champion);
        } catch (\InvalidArgumentException $e) {
            throw new RollbackRefused($e->getMessage() . " ({$this->model})");
        }

        if ($toVersion === null) {
            $rest = $history->withoutCurrent();
            $target = $rest->current();
            if ($target === null) {
                throw new RollbackRefused("{$this->model} has no previous champion to roll back to (history: " . $history->toTagValue() . ')');
            }
            $newHistory = $rest;
        } else {
            if (preg_match('/^[1-9]\d*$/', $toVersion) !== 1) {
                throw new RollbackRefused("\"{$toVersion}\" is not a model version number");
            }
            $target = $toVersion;
            $newHistory = $history->with($toVersion);
        }
        if ($this->mlflow->modelVersion($this->model, $target) === null) {
            throw new RollbackRefused("{$this->model} has no version {$target}");
        }
        $this->mlflow->setAlias($this->model, SharedContract::CHAMPION_ALIAS, $target);
        try {
            $this->mlflow->setRegisteredModelTag($this->model, SharedContract::CHAMPION_HISTORY_TAG, $newHistory->toTagValue());
        } catch (MlflowError $e) {
            throw new RuntimeException("champion moved to {$target}, but the history tag was not updated: " . $e->getMessage(), 0, $e);
        }
        return RollbackResult::of($this->model, $champion, $target, $newHistory->versions());
    }
}
