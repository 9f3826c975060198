<?php

declare(strict_types=1);

namespace Driftline\Tests\Config;

use Driftline\Config\Settings;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;

/** @covers \Driftline\Config\Settings */
final class SettingsTest extends TestCase
{
    public function testDefaultsPutStateUnderTheHome(): void
    {
        $settings = Settings::fromEnvironment(['DRIFTLINE_HOME' => '/var/lib/driftline/']);

        self::assertSame('/var/lib/driftline/receiver/queue.db', $settings->queuePath());
        self::assertSame('/var/lib/driftline/receiver/jobs', $settings->jobLogDir());
        self::assertSame('/var/lib/driftline/router/decisions.jsonl', $settings->routerLogPath());
        self::assertSame(['driftline retrain', 3600, 3, 'churn', null, null, 2_592_000], [
            $settings->retrainCommand(), $settings->cooldownSeconds(), $settings->maxAttempts(),
            $settings->modelName(), $settings->webhookTokenFile(), $settings->variants(),
            $settings->notificationRetentionSeconds(),
        ]);
    }

    public function testReadsOverrides(): void
    {
        $settings = Settings::fromEnvironment([
            'DRIFTLINE_HOME' => '/srv/d',
            'DRIFTLINE_RETRAIN_COOLDOWN_SECONDS' => '0',
            'DRIFTLINE_JOB_STALE_SECONDS' => '1.5',
            'DRIFTLINE_MODEL_NAME' => 'fraud',
            'DRIFTLINE_WEBHOOK_TOKEN_FILE' => '/run/secrets/t',
            'DRIFTLINE_NOTIFICATION_RETENTION_SECONDS' => '0',
            'DRIFTLINE_ROUTES' => ' {"fraud": "champion=http://127.0.0.1:8000:1"} ',
        ]);

        self::assertSame([0, 1.5, 'fraud', '/run/secrets/t', 0, '{"fraud": "champion=http://127.0.0.1:8000:1"}'], [
            $settings->cooldownSeconds(), $settings->staleAfterSeconds(), $settings->modelName(), $settings->webhookTokenFile(),
            $settings->notificationRetentionSeconds(), $settings->routes(),
        ]);
    }

    /** @dataProvider badValues */
    public function testABadValueNamesItsVariable(string $name, string $value): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage($name);
        Settings::fromEnvironment(['DRIFTLINE_HOME' => '/x', $name => $value]);
    }

    /** @return iterable<string, array{string, string}> */
    public static function badValues(): iterable
    {
        yield 'words' => ['DRIFTLINE_JOB_MAX_ATTEMPTS', 'three'];
        yield 'zero tries' => ['DRIFTLINE_JOB_MAX_ATTEMPTS', '0'];
        yield 'negative cool-down' => ['DRIFTLINE_RETRAIN_COOLDOWN_SECONDS', '-5'];
        yield 'zero stale' => ['DRIFTLINE_JOB_STALE_SECONDS', '0'];
        yield 'not a number' => ['DRIFTLINE_JOB_HEARTBEAT_SECONDS', 'soon'];
        yield 'negative retention' => ['DRIFTLINE_NOTIFICATION_RETENTION_SECONDS', '-1'];
        yield 'retention with a unit' => ['DRIFTLINE_NOTIFICATION_RETENTION_SECONDS', '30d'];
    }
}
