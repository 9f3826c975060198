<?php

declare(strict_types=1);

namespace Driftline\Tests\Webhook;

use Driftline\Webhook\InvalidPayload;
use Driftline\Webhook\PayloadParser;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Driftline\Webhook\PayloadParser
 * @covers \Driftline\Webhook\AlertmanagerPayload
 * @covers \Driftline\Webhook\Alert
 * @covers \Driftline\Webhook\InvalidPayload
 */
final class PayloadParserTest extends TestCase
{
    public function testParsesARealisticNotification(): void
    {
        $payload = PayloadParser::create()->parse(PayloadFixture::json(PayloadFixture::notification([
            PayloadFixture::alert('DriftlineFeatureDrift'),
            PayloadFixture::alert('DriftlineAccuracyDrop'),
            PayloadFixture::alert('DriftlineOther', 'fraud', 'firing', false),
            PayloadFixture::alert('DriftlineResolved', 'fraud', 'resolved'),
        ])));

        self::assertSame('firing', $payload->status());
        self::assertSame('driftline-retrain', $payload->receiver());
        self::assertCount(4, $payload->alerts());
        $byModel = $payload->retrainRequestsByModel();
        self::assertSame(['churn'], array_keys($byModel));
        self::assertSame(['DriftlineFeatureDrift', 'DriftlineAccuracyDrop'], array_map(static fn ($a) => $a->name(), $byModel['churn']));
    }

    public function testTruncatedAlertsMayBeAbsentAsInOlderAlertmanagers(): void
    {
        $data = PayloadFixture::notification([PayloadFixture::alert()]);
        unset($data['truncatedAlerts']);

        self::assertSame(0, PayloadParser::create()->parse(PayloadFixture::json($data))->truncatedAlerts());
    }

    /**
     * @dataProvider malformed
     * @param callable(array<string, mixed>): (array<string, mixed>|string) $spoil
     */
    public function testNamesTheFieldThatIsWrong(callable $spoil, string $field): void
    {
        $data = $spoil(PayloadFixture::notification([PayloadFixture::alert()]));
        $body = is_string($data) ? $data : PayloadFixture::json($data);

        try {
            PayloadParser::create()->parse($body);
            self::fail('expected InvalidPayload');
        } catch (InvalidPayload $e) {
            self::assertSame($field, $e->field());
            self::assertStringStartsWith($field . ': ', $e->getMessage());
        }
    }

    /** @return iterable<string, array{callable, string}> */
    public static function malformed(): iterable
    {
        yield 'not JSON' => [static fn (array $d): string => '{"version": "4",', 'body'];
        yield 'a list' => [static fn (array $d): string => '[1, 2]', 'body'];
        yield 'wrong version' => [static function (array $d): array {
            $d['version'] = '3';
            return $d;
        }, 'version'];
        yield 'version as number' => [static function (array $d): array {
            $d['version'] = 4;
            return $d;
        }, 'version'];
        yield 'unknown status' => [static function (array $d): array {
            $d['status'] = 'burning';
            return $d;
        }, 'status'];
        yield 'no receiver' => [static function (array $d): array {
            unset($d['receiver']);
            return $d;
        }, 'receiver'];
        yield 'alerts not a list' => [static function (array $d): array {
            $d['alerts'] = ['status' => 'firing'];
            return $d;
        }, 'alerts'];
        yield 'no alerts' => [static function (array $d): array {
            $d['alerts'] = [];
            return $d;
        }, 'alerts'];
        yield 'labels as list' => [static function (array $d): array {
            $d['alerts'][0]['labels'] = ['a', 'b'];
            return $d;
        }, 'alerts[0].labels'];
        yield 'label value not a string' => [static function (array $d): array {
            $d['alerts'][0]['labels']['retrain'] = true;
            return $d;
        }, 'alerts[0].labels.retrain'];
        yield 'no alertname' => [static function (array $d): array {
            unset($d['alerts'][0]['labels']['alertname']);
            return $d;
        }, 'alerts[0].labels'];
        yield 'bad time' => [static function (array $d): array {
            $d['alerts'][0]['startsAt'] = 'yesterday';
            return $d;
        }, 'alerts[0].startsAt'];
        yield 'no fingerprint' => [static function (array $d): array {
            unset($d['alerts'][0]['fingerprint']);
            return $d;
        }, 'alerts[0].fingerprint'];
        yield 'negative truncatedAlerts' => [static function (array $d): array {
            $d['truncatedAlerts'] = -1;
            return $d;
        }, 'truncatedAlerts'];
        yield 'commonLabels missing' => [static function (array $d): array {
            unset($d['commonLabels']);
            return $d;
        }, 'commonLabels'];
    }
}
