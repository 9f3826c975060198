<?php

declare(strict_types=1);

namespace Driftline\RouterServer;

use Closure;
use Driftline\Http\Request;
use Driftline\Http\Response;
use Throwable;

/**
 * One worker process's loop: waits (stream_select) on the shared listening socket and on
 * its own kept-alive client connections, and serves one request at a time, synchronously,
 * with the handler it was built with. A connection idle for longer than the keep-alive
 * timeout is closed. stop() (from a signal handler) ends the loop after the request in
 * hand; requests that have already arrived on its connections are served, then every
 * connection is closed.
 */
final class ConnectionLoop
{
    /** @var array<int, resource> client connections by resource id */
    private array $clients = [];
    /** @var array<int, float> when each connection last finished a request (or was accepted) */
    private array $idleSince = [];
    private bool $stopping = false;

    /**
     * @param resource $listener
     * @param Closure(Request): Response $handler
     */
    private function __construct(
        private $listener,
        private readonly Closure $handler,
        private readonly int $maxBodyBytes,
        private readonly float $idleSeconds,
        private readonly float $readTimeoutSeconds,
    ) {
    }

    /**
     * @param resource $listener non-blocking, shared with the other workers
     * @param Closure(Request): Response $handler
     */
    public static function on($listener, Closure $handler, int $maxBodyBytes, float $idleSeconds, float $readTimeoutSeconds): self
    {
        return new self($listener, $handler, $maxBodyBytes, $idleSeconds, $readTimeoutSeconds);
    }

    public function stop(): void
    {
        $this->stopping = true;
    }

    public function run(): void
    {
        while (!$this->stopping) {
            $read = [$this->listener, ...array_values($this->clients)];
            $write = $except = null;
            $wait = $this->secondsToNextIdleTimeout();
            // False when a signal interrupts the wait (EINTR): the loop checks stopping.
            $ready = @stream_select($read, $write, $except, (int) $wait, (int) (fmod($wait, 1.0) * 1e6));
            if ($ready !== false && $ready > 0) {
                foreach ($read as $stream) {
                    if ($stream === $this->listener) {
                        $this->accept();
                    } else {
                        $this->serve($stream);
                    }
                }
            }
            $this->closeIdle();
        }
        $this->drain();
    }

    private function accept(): void
    {
        // The workers share the listener: another one may have taken this connection.
        $client = @stream_socket_accept($this->listener, 0);
        if ($client === false) {
            return;
        }
        $this->clients[(int) $client] = $client;
        $this->idleSince[(int) $client] = microtime(true);
    }

    /** @param resource $stream */
    private function serve($stream): void
    {
        do {
            try {
                $incoming = HttpRequestReader::read($stream, $this->maxBodyBytes, $this->readTimeoutSeconds);
            } catch (RequestRefused $refused) {
                $this->send($stream, $refused->response(), false, false);
                return;
            }
            if ($incoming === null) {
                $this->close($stream);
                return;
            }
            try {
                $response = ($this->handler)($incoming->request());
            } catch (Throwable $e) {
                error_log('driftline router: ' . $e::class . ': ' . $e->getMessage() . ' at ' . $e->getFile() . ':' . $e->getLine());
                $response = Response::error(500, 'internal_error', 'internal error; see the server log');
            }
            $keep = $incoming->keepAlive() && !$this->stopping;
            $headOnly = $incoming->request()->method() === 'HEAD';
            if (!$this->send($stream, $response, $keep, $incoming->isHttp10(), $headOnly)) {
                return;
            }
            // A pipelined request already in PHP's read buffer: serve it before waiting again.
        } while ((stream_get_meta_data($stream)['unread_bytes'] ?? 0) > 0);
    }

    /**
     * @param resource $stream
     * @return bool whether the connection stays open
     */
    private function send($stream, Response $response, bool $keepAlive, bool $http10, bool $headOnly = false): bool
    {
        $bytes = HttpResponseEncoder::encode($response, $keepAlive, $http10, $headOnly);
        $written = 0;
        while ($written < strlen($bytes)) {
            $n = @fwrite($stream, $written === 0 ? $bytes : substr($bytes, $written));
            if ($n === false || $n === 0) {
                $keepAlive = false; // the client went away or stopped reading (the read timeout)
                break;
            }
            $written += $n;
        }
        if (!$keepAlive) {
            $this->close($stream);
            return false;
        }
        $this->idleSince[(int) $stream] = microtime(true);
        return true;
    }

    /** @param resource $stream */
    private function close($stream): void
    {
        unset($this->clients[(int) $stream], $this->idleSince[(int) $stream]);
        @fclose($stream);
    }

    private function secondsToNextIdleTimeout(): float
    {
        if ($this->idleSince === []) {
            return 1.0;
        }
        $next = min($this->idleSince) + $this->idleSeconds - microtime(true);
        return max(0.0, min(1.0, $next));
    }

    private function closeIdle(): void
    {
        $cutoff = microtime(true) - $this->idleSeconds;
        foreach ($this->idleSince as $id => $since) {
            if ($since <= $cutoff) {
                $this->close($this->clients[$id]);
            }
        }
    }

    /** On stop: serve what has already arrived, without waiting for more, then close everything. */
    private function drain(): void
    {
        $read = array_values($this->clients);
        if ($read !== []) {
            $write = $except = null;
            if (@stream_select($read, $write, $except, 0, 0) > 0) {
                foreach ($read as $stream) {
                    $this->serve($stream);
                }
            }
        }
        foreach ($this->clients as $stream) {
            $this->close($stream);
        }
    }
}
