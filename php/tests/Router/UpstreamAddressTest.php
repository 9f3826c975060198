<?php

declare(strict_types=1);

namespace Driftline\Tests\Router;

use Driftline\Router\UpstreamAddress;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;

/** @covers \Driftline\Router\UpstreamAddress */
final class UpstreamAddressTest extends TestCase
{
    /** @dataProvider urls */
    public function testSocketAddressHostAndTarget(string $url, string $socket, string $host, string $target): void
    {
        $address = UpstreamAddress::fromBaseUrl($url);

        self::assertSame([$socket, $host, $target], [$address->socketAddress(), $address->hostHeader(), $address->target('/predict')]);
    }

    /** @return iterable<string, array{string, string, string, string}> */
    public static function urls(): iterable
    {
        yield 'port' => ['http://127.0.0.1:8000', 'tcp://127.0.0.1:8000', '127.0.0.1:8000', '/predict'];
        yield 'default port' => ['http://serving-champion', 'tcp://serving-champion:80', 'serving-champion', '/predict'];
        yield 'https' => ['https://models.example:443/churn/', 'tls://models.example:443', 'models.example', '/churn/predict'];
        yield 'ipv6' => ['http://[::1]:8001', 'tcp://[::1]:8001', '[::1]:8001', '/predict'];
    }

    public function testRefusesWhatIsNotAnHttpUrl(): void
    {
        $this->expectException(InvalidArgumentException::class);
        UpstreamAddress::fromBaseUrl('ftp://x:1');
    }
}
