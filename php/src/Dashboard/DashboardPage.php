<?php

declare(strict_types=1);

namespace Driftline\Dashboard;

use DateTimeImmutable;
use DateTimeZone;
use Driftline\Contract\SharedContract;
use Driftline\Worker\GateFigures;

/** Server-rendered HTML of the dashboard. Pure; every value goes through escape(). */
final class DashboardPage
{
    private function __construct()
    {
    }

    public static function render(DashboardData $data, DateTimeImmutable $now): string
    {
        $model = self::escape($data->modelName());
        $body = self::mlflowStatus($data) . self::runsSection($data) . self::versionsSection($data) . self::jobsSection($data);
        $rendered = self::escape($now->setTimezone(new DateTimeZone('UTC'))->format('Y-m-d H:i:s') . ' UTC');
        return <<<HTML
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>driftline · models</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1d2430; background: #f6f7f9; }
        h1 { font-size: 1.4rem; margin: 0 0 .2rem; } h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
        h3 { font-size: 1rem; margin: 1.1rem 0 .4rem; }
        .sub { color: #5b6475; margin: 0 0 1rem; }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e2e5ea; font-size: .9rem; }
        th { background: #eef0f4; }
        .bar { background: #e2e5ea; border-radius: 3px; width: 14rem; height: .9rem; display: inline-block; vertical-align: middle; }
        .bar > span { display: block; height: 100%; border-radius: 3px; background: #2f7d4f; }
        .alias { display: inline-block; padding: 0 .45rem; border-radius: 9px; font-size: .8rem; background: #dbe7ff; margin-right: .25rem; }
        .alias.champion { background: #ffe7a8; }
        .notice { padding: .6rem .8rem; border-radius: 4px; background: #fff3f0; border: 1px solid #f1b8aa; }
        .ok { color: #2f7d4f; } .state-failed { color: #b42318; } .state-running { color: #1d5fd1; }
        code { font-size: .85rem; }
        </style>
        </head>
        <body>
        <h1>driftline — models</h1>
        <p class="sub">Default model <code>{$model}</code> · rendered {$rendered}</p>
        {$body}
        </body>
        </html>

        HTML;
    }

    private static function mlflowStatus(DashboardData $data): string
    {
        if ($data->mlflowProblem() !== null) {
            return '<p class="notice" id="mlflow-status"><strong>MLflow unavailable.</strong> '
                . self::escape($data->mlflowProblem()) . "</p>\n";
        }
        return '<p class="ok" id="mlflow-status">MLflow: ' . self::escape((string) $data->mlflowUri()) . "</p>\n";
    }

    private static function runsSection(DashboardData $data): string
    {
        $html = "<h2>Latest runs</h2>\n";
        if ($data->runs() === []) {
            return $html . "<p>No runs to show.</p>\n";
        }
        // One metric for every run names the column; runs of several tasks name theirs per cell.
        $names = array_values(array_unique(array_map(static fn (array $run): string => $run['metric_name'], $data->runs())));
        $mixed = count($names) > 1;
        $header = self::escape($mixed ? 'metric' : $names[0]);
        $html .= "<table id=\"runs\"><tr><th>Run</th><th>Started</th><th>Status</th><th>{$header}</th></tr>\n";
        foreach ($data->runs() as $run) {
            $cell = ($mixed ? '<code>' . self::escape($run['metric_name']) . '</code> ' : '')
                . self::metricCell($run['metric'], $run['better']);
            $name = $run['name'] !== '' ? $run['name'] : $run['run_id'];
            $html .= sprintf(
                "<tr><td title=\"%s\">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                self::escape($run['run_id']),
                self::escape($name),
                self::escape(self::millis($run['started'])),
                self::escape($run['status']),
                $cell,
            );
        }
        return $html . "</table>\n";
    }

    private static function metricCell(?float $value, string $better): string
    {
        if ($value === null) {
            return '<span>—</span>';
        }
        if ($better !== 'higher') {
            // An error is in the target's unit with no upper end: a number, not a 0..1 bar.
            return sprintf('<span class="error-figure" title="lower is better">%s</span>', self::escape(GateFigures::number($value)));
        }
        // Accuracy-like metrics live in 0..1; clamp so a bad value cannot break the layout.
        $text = self::escape(sprintf('%.4f', $value));
        $width = sprintf('%.1f', max(0.0, min(1.0, $value)) * 100);
        return sprintf(
            '<span class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="1" aria-valuenow="%s"><span style="width:%s%%"></span></span> %s',
            $text,
            $width,
            $text,
        );
    }

    private static function versionsSection(DashboardData $data): string
    {
        $html = "<h2>Models</h2>\n";
        if ($data->versions() === []) {
            return $html . "<p>No registered models to show.</p>\n";
        }
        $html .= "<table id=\"models\"><tr><th>Model</th><th>Champion</th><th>Challenger</th><th>Versions</th></tr>\n";
        foreach ($data->versions() as $model => $versions) {
            $html .= sprintf(
                "<tr><td><a href=\"#versions-%s\"><code>%s</code></a></td><td>%s</td><td>%s</td><td>%d</td></tr>\n",
                self::escape(self::slug((string) $model)),
                self::escape((string) $model),
                self::escape(self::aliased($versions, SharedContract::CHAMPION_ALIAS)),
                self::escape(self::aliased($versions, SharedContract::CHALLENGER_ALIAS)),
                count($versions),
            );
        }
        $html .= "</table>\n<section id=\"versions\">\n";
        foreach ($data->versions() as $model => $versions) {
            $html .= self::modelVersions((string) $model, $versions);
        }
        return $html . "</section>\n";
    }

    /** @param list<array{version: string, status: string, run_id: string, created: ?int, aliases: list<string>, promotion: ?string}> $versions */
    private static function modelVersions(string $model, array $versions): string
    {
        $html = sprintf("<h3>Registry versions of <code>%s</code></h3>\n", self::escape($model));
        if ($versions === []) {
            return $html . "<p>No registered versions to show.</p>\n";
        }
        $html .= sprintf(
            "<table id=\"versions-%s\"><tr><th>Version</th><th>Aliases</th><th>Promotion</th><th>Status</th><th>Created</th><th>Run</th></tr>\n",
            self::escape(self::slug($model)),
        );
        foreach ($versions as $version) {
            $aliases = '';
            foreach ($version['aliases'] as $alias) {
                $aliases .= sprintf('<span class="alias %s">%s</span>', self::escape($alias), self::escape($alias));
            }
            $html .= sprintf(
                "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td><code>%s</code></td></tr>\n",
                self::escape($version['version']),
                $aliases,
                self::escape($version['promotion'] ?? ''),
                self::escape($version['status']),
                self::escape(self::millis($version['created'])),
                self::escape($version['run_id']),
            );
        }
        return $html . "</table>\n";
    }

    /** @param list<array{version: string, aliases: list<string>}> $versions */
    private static function aliased(array $versions, string $alias): string
    {
        foreach ($versions as $version) {
            if (in_array($alias, $version['aliases'], true)) {
                return $version['version'];
            }
        }
        return '—';
    }

    /** An id fragment for a model name; MLflow allows spaces and more, which get a hash to stay apart. */
    private static function slug(string $model): string
    {
        if (preg_match('/^[A-Za-z0-9_.-]+$/', $model) === 1) {
            return $model;
        }
        return trim((string) preg_replace('/[^A-Za-z0-9_.-]+/', '-', $model), '-') . '-' . substr(hash('sha256', $model), 0, 6);
    }

    private static function jobsSection(DashboardData $data): string
    {
        $counts = [];
        foreach ($data->jobCounts() as $state => $count) {
            $counts[] = self::escape($state) . ': ' . $count;
        }
        $html = "<h2>Retraining jobs</h2>\n<p id=\"job-counts\">" . implode(' · ', $counts) . "</p>\n";
        if ($data->jobs() === []) {
            return $html . "<p>No jobs yet.</p>\n";
        }
        $html .= "<table id=\"jobs\"><tr><th>Job</th><th>Model</th><th>State</th><th>Alerts</th><th>Attempts</th><th>Exit</th><th>Version</th><th>Promotion</th><th>Gate</th><th>Created</th></tr>\n";
        foreach ($data->jobs() as $job) {
            $row = $job->toArray();
            $alertnames = $job->reason()['alertnames'] ?? [];
            // The metric the gate used, from the outcome line: accuracy or an error, and which way.
            $gate = GateFigures::fromOutcome($row['outcome']);
            $html .= sprintf(
                "<tr><td>%d</td><td>%s</td><td class=\"state-%s\">%s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td class=\"gate\">%s</td><td>%s</td></tr>\n",
                $job->id(),
                self::escape($job->model()),
                self::escape($job->state()->value),
                self::escape($job->state()->value),
                self::escape(is_array($alertnames) ? implode(', ', array_map('strval', $alertnames)) : ''),
                $job->attempts(),
                self::escape($job->exitCode() === null ? '' : (string) $job->exitCode()),
                self::escape($job->modelVersion() ?? ''),
                self::escape($job->promotion() ?? ''),
                self::escape($gate === null ? '' : $gate->summary()),
                self::escape((string) $row['created_at']),
            );
        }
        return $html . "</table>\n";
    }

    private static function millis(?int $millis): string
    {
        if ($millis === null) {
            return '';
        }
        return gmdate('Y-m-d H:i:s', intdiv($millis, 1000)) . ' UTC';
    }

    public static function escape(string $text): string
    {
        return htmlspecialchars($text, ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML5, 'UTF-8');
    }
}
