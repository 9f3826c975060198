<?php

declare(strict_types=1);

namespace Driftline\Tests\Worker;

use Driftline\Worker\CommandLine;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;

/** @covers \Driftline\Worker\CommandLine */
final class CommandLineTest extends TestCase
{
    public function testSplitsWordsAndQuotes(): void
    {
        self::assertSame(['driftline', 'retrain'], CommandLine::split('  driftline   retrain '));
        self::assertSame(['/opt/my tools/run', '--flag', 'a "b"', ''], CommandLine::split('"/opt/my tools/run" --flag \'a "b"\' ""'));
        self::assertSame(['a b', 'c"d'], CommandLine::split('a\\ b "c\\"d"'));
    }

    public function testRefusesAnUnclosedQuoteAndAnEmptyCommand(): void
    {
        try {
            CommandLine::split('run "oops');
            self::fail('expected an error');
        } catch (InvalidArgumentException $e) {
            self::assertStringContainsString('unclosed', $e->getMessage());
        }
        $this->expectException(InvalidArgumentException::class);
        CommandLine::split('   ');
    }
}
