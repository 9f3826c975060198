<?php

declare(strict_types=1);

namespace Driftline\Tests\Queue;

use Driftline\Queue\Database;
use PHPUnit\Framework\TestCase;

/**
 * @covers \Driftline\Queue\Database
 */
final class DatabaseTest extends TestCase
{
    private string $dir;

    protected function setUp(): void
    {
        $this->dir = sys_get_temp_dir() . '/driftline-db-' . bin2hex(random_bytes(6));
        mkdir($this->dir);
    }

    protected function tearDown(): void
    {
        foreach (glob($this->dir . '/*') ?: [] as $file) {
            unlink($file);
        }
        rmdir($this->dir);
    }

    public function testProcessesOpeningOneNewFileAtOnceAllGetIt(): void
    {
        // Before the retry about one round in five had a process refused with
        // "database is locked" while another switched the new file to WAL.
        $autoload = dirname(__DIR__, 2) . '/src/autoload.php';
        for ($round = 0; $round < 20; $round++) {
            $path = "{$this->dir}/queue-{$round}.sqlite";
            $start = microtime(true) + 0.2;
            $children = [];
            for ($i = 0; $i < 6; $i++) {
                $code = sprintf(
                    'require %s; while (microtime(true) < %F) { usleep(100); } '
                    . 'try { \\Driftline\\Queue\\Database::open(%s); echo "ok"; } '
                    . 'catch (\\Throwable $e) { echo $e->getMessage(); }',
                    var_export($autoload, true),
                    $start,
                    var_export($path, true),
                );
                $child = proc_open([PHP_BINARY, '-r', $code], [1 => ['pipe', 'w']], $pipes);
                self::assertIsResource($child);
                $children[] = [$child, $pipes[1]];
            }
            foreach ($children as [$child, $out]) {
                self::assertSame('ok', stream_get_contents($out), "round {$round}");
                fclose($out);
                proc_close($child);
            }
        }
    }
}
