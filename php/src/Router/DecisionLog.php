<?php

declare(strict_types=1);

namespace Driftline\Router;

use Driftline\Clock\Clock;

/**
 * Appends one JSON line per routed request (which model, which variant was
 * chosen, which answered, what failed), so A/B shares can be audited. The user key is
 * stored as a hash prefix, not in clear.
 */
final class DecisionLog
{
    /** @var resource|null opened at the first line, kept for the life of the process */
    private $file = null;

    private function __construct(private readonly string $path, private readonly Clock $clock)
    {
    }

    public static function at(string $path, Clock $clock): self
    {
        return new self($path, $clock);
    }

    public function record(string $model, RoutedAnswer $answer, ?string $userKey): void
    {
        $line = json_encode([
            'at' => $this->clock->now()->format('Y-m-d\TH:i:s.v\Z'),
            'model' => $model,
            'user' => $userKey === null || $userKey === '' ? null : substr(hash('sha256', $userKey), 0, 16),
            'chosen' => $answer->chosen(),
            'answered' => $answer->answeredBy(),
            'fallback' => $answer->isFallback(),
            'status' => $answer->answer()?->status(),
            'failures' => $answer->failures(),
        ], JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
        $file = $this->file ??= $this->open();
        // One write of a short line with an exclusive lock: lines from concurrent requests
        // and processes never interleave. The file stays open between requests (a
        // long-running router writes thousands a second); append mode puts each line at the end.
        if ($file === null || !flock($file, LOCK_EX) || @fwrite($file, $line . "\n") === false) {
            error_log("driftline router: cannot append to {$this->path}");
        }
        if ($file !== null) {
            flock($file, LOCK_UN);
        }
    }

    /** @return resource|null null (tried again at the next line) when the file cannot be opened */
    private function open()
    {
        $dir = dirname($this->path);
        if (!is_dir($dir)) {
            @mkdir($dir, 0775, true);
        }
        $file = @fopen($this->path, 'ab');
        return $file === false ? null : $file;
    }
}
