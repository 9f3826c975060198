<?php

declare(strict_types=1);

// PSR-4 autoloader for Driftline\ (src/) and Driftline\Tests\ (tests/), so the
// project runs from a plain Debian php-cli without composer.
spl_autoload_register(static function (string $class): void {
    $roots = [
        'Driftline\\Tests\\' => dirname(__DIR__) . '/tests/',
        'Driftline\\' => __DIR__ . '/',
    ];
    foreach ($roots as $prefix => $dir) {
        if (str_starts_with($class, $prefix)) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});
