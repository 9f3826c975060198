<?php

declare(strict_types=1);

// php php/bin/rollback.php [VERSION]
// Moves the champion alias back to the previous champion, or to VERSION.
// Exit codes as `driftline rollback`: 0 moved; 2 bad input or refused (unknown version,
// no earlier champion; nothing changed); 1 MLflow unreachable or failing.

use Driftline\Config\Settings;
use Driftline\Mlflow\MlflowClient;
use Driftline\Mlflow\MlflowError;
use Driftline\Mlflow\Rollback;
use Driftline\Mlflow\RollbackRefused;

require dirname(__DIR__) . '/src/autoload.php';

$usage = "usage: php php/bin/rollback.php [VERSION]\n"
    . "  moves the 'champion' alias of \$DRIFTLINE_MODEL_NAME (default churn) in the MLflow registry at\n"
    . "  \$MLFLOW_TRACKING_URI to the previous champion, or to VERSION when given\n";
$args = array_slice($argv, 1);
if (in_array('--help', $args, true) || in_array('-h', $args, true)) {
    fwrite(STDOUT, $usage);
    exit(0);
}
if (count($args) > 1) {
    fwrite(STDERR, "rollback: at most one VERSION\n{$usage}");
    exit(2);
}
try {
    $settings = Settings::fromEnvironment(getenv());
} catch (InvalidArgumentException $e) {
    fwrite(STDERR, 'rollback: ' . $e->getMessage() . "\n");
    exit(2);
}
$uri = $settings->mlflowUri();
if ($uri === null || preg_match('#^https?://#', $uri) !== 1) {
    fwrite(STDERR, "rollback: MLFLOW_TRACKING_URI must be the http(s) URL of an MLflow server\n");
    exit(2);
}
try {
    $result = Rollback::of(MlflowClient::at($uri), $settings->modelName())->run($args[0] ?? null);
    fwrite(STDOUT, $result->describe() . "\n");
    exit(0);
} catch (RollbackRefused $e) {
    fwrite(STDERR, 'rollback refused: ' . $e->getMessage() . "\n");
    exit(2);
} catch (MlflowError $e) {
    fwrite(STDERR, 'rollback failed: ' . $e->getMessage() . "\n");
    exit(1);
} catch (RuntimeException $e) {
    fwrite(STDERR, 'rollback incomplete: ' . $e->getMessage() . "\n");
    exit(1);
}
