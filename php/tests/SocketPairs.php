<?php

declare(strict_types=1);

namespace Driftline\Tests;

/**
 * Real socket pairs for the HTTP readers' tests: one end written to, the other read by the
 * reader under test. Every end still open is closed after each test.
 */
trait SocketPairs
{
    /** @var list<resource> */
    private array $open = [];

    protected function tearDown(): void
    {
        foreach ($this->open as $stream) {
            if (is_resource($stream)) {
                fclose($stream);
            }
        }
    }

    /** @return array{resource, resource} two connected ends, both closed after the test */
    private function socketPair(): array
    {
        $pair = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
        self::assertIsArray($pair);
        [$one, $other] = $pair;
        $this->open[] = $one;
        $this->open[] = $other;
        return [$one, $other];
    }

    /**
     * @return resource the reading end, after $bytes were written to the other end (which is
     *                  then closed, unless $writerCloses is false)
     */
    private function readingEnd(string $bytes, bool $writerCloses = true)
    {
        [$writer, $reader] = $this->socketPair();
        fwrite($writer, $bytes);
        if ($writerCloses) {
            fclose($writer);
        }
        return $reader;
    }
}
