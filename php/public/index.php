<?php

declare(strict_types=1);

// The one front controller: php -S 127.0.0.1:PORT -t php/public, or php-fpm.

use Driftline\Clock\SystemClock;
use Driftline\Config\Settings;
use Driftline\Http\App;
use Driftline\Http\Request;
use Driftline\Http\Response;

require dirname(__DIR__) . '/src/autoload.php';

try {
    $settings = Settings::fromEnvironment(getenv());
    $request = Request::fromGlobals($settings->maxBodyBytes());
    $response = App::create($settings, SystemClock::fromUtc())->handle($request);
} catch (Throwable $e) {
    error_log('driftline receiver: ' . $e::class . ': ' . $e->getMessage() . ' at ' . $e->getFile() . ':' . $e->getLine());
    $response = Response::error(500, 'internal_error', 'internal error; see the server log');
}
$response->send();
