<?php

declare(strict_types=1);

namespace Driftline\Worker;

use InvalidArgumentException;

/**
 * Splits DRIFTLINE_RETRAIN_COMMAND into words the way a shell would for
 * plain words and quotes ('single', "double", backslash), without running a
 * shell: no variables, globs or pipes.
 */
final class CommandLine
{
    private function __construct()
    {
    }

    /** @return non-empty-list<string> */
    public static function split(string $command): array
    {
        $words = [];
        $word = null;
        $quote = null;
        $length = strlen($command);
        for ($i = 0; $i < $length; $i++) {
            $c = $command[$i];
            if ($quote === "'") {
                if ($c === "'") {
                    $quote = null;
                } else {
                    $word .= $c;
                }
            } elseif ($quote === '"') {
                if ($c === '"') {
                    $quote = null;
                } elseif ($c === '\\' && $i + 1 < $length && in_array($command[$i + 1], ['"', '\\'], true)) {
                    $word .= $command[++$i];
                } else {
                    $word .= $c;
                }
            } elseif ($c === "'" || $c === '"') {
                $quote = $c;
                $word ??= '';
            } elseif ($c === '\\' && $i + 1 < $length) {
                $word = ($word ?? '') . $command[++$i];
            } elseif (ctype_space($c)) {
                if ($word !== null) {
                    $words[] = $word;
                    $word = null;
                }
            } else {
                $word = ($word ?? '') . $c;
            }
        }
        if ($quote !== null) {
            throw new InvalidArgumentException("unclosed {$quote} quote in command: {$command}");
        }
        if ($word !== null) {
            $words[] = $word;
        }
        if ($words === []) {
            throw new InvalidArgumentException('command is empty');
        }
        return $words;
    }
}
