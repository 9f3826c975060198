<?php

declare(strict_types=1);

// The long-running A/B router: php php/bin/router.php --host H --port P [--workers N] [--idle-seconds S]
// N pre-forked processes share one listening socket; each bootstraps once (settings, route
// table, kept-alive upstream connections, the decision log's open file) and keeps its client
// connections alive too. POST /predict, POST /predict/{model}, GET /health; SIGTERM or SIGINT
// stops it after the requests in hand. docs/router.md has the why and the figures.

use Driftline\Clock\SystemClock;
use Driftline\Config\Settings;
use Driftline\Http\App;
use Driftline\Http\Request;
use Driftline\Http\Response;
use Driftline\Router\RouteTable;
use Driftline\RouterServer\ConnectionLoop;
use Driftline\RouterServer\Prefork;
use Driftline\RouterServer\RouterFront;

require dirname(__DIR__) . '/src/autoload.php';

// A client that stops sending in the middle of a request is refused after this long.
const READ_TIMEOUT_SECONDS = 10.0;

$usage = "usage: php php/bin/router.php --host HOST --port PORT [--workers N] [--idle-seconds S]\n";
$options = ['host' => null, 'port' => null, 'workers' => '8', 'idle-seconds' => '15'];
$args = array_slice($argv, 1);
for ($i = 0; $i < count($args); $i++) {
    $name = substr($args[$i], 2);
    if ($args[$i] === '--help' || $args[$i] === '-h') {
        fwrite(STDOUT, $usage);
        exit(0);
    }
    if (!str_starts_with($args[$i], '--') || !array_key_exists($name, $options) || !isset($args[$i + 1])) {
        fwrite(STDERR, "router: unknown argument or missing value: {$args[$i]}\n{$usage}");
        exit(2);
    }
    $options[$name] = $args[++$i];
}
$say = static function (string $message): void {
    fwrite(STDERR, gmdate('Y-m-d\TH:i:s\Z') . " {$message}\n");
};
$refuse = static function (string $message) use ($usage): never {
    fwrite(STDERR, "router: {$message}\n{$usage}");
    exit(2);
};
if ($options['host'] === null || $options['port'] === null) {
    $refuse('--host and --port are required');
}
if (!ctype_digit($options['port']) || (int) $options['port'] > 65535) {
    $refuse("--port must be a port number (0-65535), got '{$options['port']}'");
}
if (!ctype_digit($options['workers']) || (int) $options['workers'] < 1 || (int) $options['workers'] > 64) {
    $refuse("--workers must be a whole number from 1 to 64, got '{$options['workers']}'");
}
if (!is_numeric($options['idle-seconds']) || (float) $options['idle-seconds'] <= 0) {
    $refuse("--idle-seconds must be a positive number, got '{$options['idle-seconds']}'");
}

try {
    $settings = Settings::fromEnvironment(getenv());
} catch (InvalidArgumentException $e) {
    $refuse($e->getMessage());
}
try {
    $models = implode(', ', RouteTable::fromEnvironment($settings->routes(), $settings->variants(), $settings->modelName())->models());
} catch (Throwable $e) {
    // Served as today's receiver does: /predict answers 503 naming what is wrong.
    $models = 'none: ' . $e->getMessage();
}

$address = "tcp://{$options['host']}:{$options['port']}";
$listener = @stream_socket_server($address, $errno, $error, STREAM_SERVER_BIND | STREAM_SERVER_LISTEN, stream_context_create(['socket' => ['backlog' => 511]]));
if ($listener === false) {
    fwrite(STDERR, "router: cannot listen on {$address}: {$error} (errno {$errno})\n");
    exit(1);
}
// Every worker waits on it; the one that loses the race to accept must not block.
stream_set_blocking($listener, false);
$say("driftline router: listening on http://" . stream_socket_get_name($listener, false) . " with {$options['workers']} workers; models: {$models}");

$work = static function () use ($listener, $settings, $options, $say): int {
    $front = RouterFront::over(App::create($settings, SystemClock::fromUtc()));
    $loop = ConnectionLoop::on(
        $listener,
        static fn (Request $request): Response => $front->handle($request),
        $settings->maxBodyBytes(),
        (float) $options['idle-seconds'],
        READ_TIMEOUT_SECONDS,
    );
    pcntl_signal(SIGTERM, static fn () => $loop->stop(), false);
    pcntl_signal(SIGINT, static fn () => $loop->stop(), false);
    $loop->run();
    return 0;
};
$exit = Prefork::of((int) $options['workers'], $work, $say)->run();
$say('driftline router: stopped');
exit($exit);
