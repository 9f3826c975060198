<?php

declare(strict_types=1);

// Retraining worker: php php/bin/worker.php [--once]
// Runs queued jobs one at a time; SIGTERM re-queues the running job and exits 0.

use Driftline\Clock\SystemClock;
use Driftline\Config\Settings;
use Driftline\Queue\Database;
use Driftline\Queue\JobQueue;
use Driftline\Queue\QueuePolicy;
use Driftline\Worker\CommandRunner;
use Driftline\Worker\StopFlag;
use Driftline\Worker\Worker;

require dirname(__DIR__) . '/src/autoload.php';

$usage = "usage: php php/bin/worker.php [--once]\n";
$args = array_slice($argv, 1);
$once = false;
foreach ($args as $arg) {
    if ($arg === '--once') {
        $once = true;
    } elseif ($arg === '--help' || $arg === '-h') {
        fwrite(STDOUT, $usage);
        exit(0);
    } else {
        fwrite(STDERR, "unknown argument {$arg}\n{$usage}");
        exit(2);
    }
}

try {
    $settings = Settings::fromEnvironment(getenv());
} catch (InvalidArgumentException $e) {
    fwrite(STDERR, 'worker: ' . $e->getMessage() . "\n");
    exit(2);
}

try {
    $stop = StopFlag::onSignals();
    $queue = JobQueue::on(Database::open($settings->queuePath()), SystemClock::fromUtc(), QueuePolicy::fromSettings($settings));
    $say = static function (string $message): void {
        fwrite(STDERR, gmdate('Y-m-d\TH:i:s\Z') . " worker: {$message}\n");
    };
    $worker = Worker::create(
        $queue,
        CommandRunner::create($settings->retrainTimeoutSeconds(), $settings->heartbeatSeconds()),
        $settings->retrainCommand(),
        $settings->jobLogDir(),
        gethostname() . ':' . getmypid(),
        static fn (): bool => $stop->isRaised(),
        $say,
    );
    if (!function_exists('pcntl_async_signals')) {
        $say('pcntl is not loaded: SIGTERM ends the worker at once; the job returns to the queue when its heartbeat goes stale');
    }
    $say(($once ? 'processing one job' : 'started') . " (queue {$settings->queuePath()}, command: {$settings->retrainCommand()})");
    $worker->run($once, $settings->pollSeconds(), static function (float $seconds) use ($stop): void {
        // Sleep in small steps so a SIGTERM is answered quickly.
        $until = microtime(true) + $seconds;
        while (!$stop->isRaised() && microtime(true) < $until) {
            usleep(100_000);
        }
    });
    $say('stopped');
    exit(0);
} catch (Throwable $e) {
    fwrite(STDERR, 'worker: ' . $e->getMessage() . "\n");
    exit(1);
}
