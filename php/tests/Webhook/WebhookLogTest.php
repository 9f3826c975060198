<?php

declare(strict_types=1);

namespace Driftline\Tests\Webhook;

use Driftline\Tests\Queue\QueueFixture;
use Driftline\Webhook\NotificationRetention;
use Driftline\Webhook\PayloadParser;
use Driftline\Webhook\WebhookLog;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;

/**
 * The notifications table keeps what is younger than the retention; the
 * outcome counters behind driftline_webhooks_total are not touched.
 *
 * @covers \Driftline\Webhook\WebhookLog
 * @covers \Driftline\Webhook\NotificationRetention
 */
final class WebhookLogTest extends TestCase
{
    private const DAY = 86_400;

    private QueueFixture $fixture;

    protected function setUp(): void
    {
        $this->fixture = QueueFixture::create();
    }

    protected function tearDown(): void
    {
        $this->fixture->remove();
    }

    public function testOldNotificationsGoAndRecentOnesStay(): void
    {
        $log = $this->log(NotificationRetention::of(30 * self::DAY));
        $old = $this->record($log, 'ignored');
        $this->fixture->clock()->advance('+20 days');
        $recent = $this->record($log, 'ignored');

        $this->fixture->clock()->advance('+11 days'); // the first is now 31 days old, the second 11
        $newest = $this->record($log, 'queued');

        self::assertSame([$newest, $recent], $this->storedIds());
        self::assertNotContains($old, $this->storedIds());
    }

    public function testANotificationExactlyAtTheRetentionStays(): void
    {
        $log = $this->log(NotificationRetention::of(30 * self::DAY));
        $first = $this->record($log, 'ignored');
        $this->fixture->clock()->advance('+30 days');
        $second = $this->record($log, 'ignored');

        self::assertSame([$second, $first], $this->storedIds());
    }

    public function testZeroRetentionKeepsEverything(): void
    {
        $log = $this->log(NotificationRetention::of(0));
        $this->record($log, 'ignored');
        $this->fixture->clock()->advance('+3650 days');
        $this->record($log, 'ignored');

        self::assertCount(2, $this->storedIds());
    }

    public function testOneWriteRemovesAtMostOneBatchOldestFirst(): void
    {
        $log = $this->log(NotificationRetention::of(self::DAY, batch: 3));
        $oldest = [];
        for ($i = 0; $i < 7; $i++) {
            $oldest[] = $this->record($log, 'ignored');
            $this->fixture->clock()->advance('+1 second');
        }
        $this->fixture->clock()->advance('+2 days');

        $this->record($log, 'ignored');
        self::assertSame(array_slice($oldest, 3), array_slice(array_reverse($this->storedIds()), 0, 4));
        $this->record($log, 'ignored');
        $this->record($log, 'ignored');
        self::assertCount(3, $this->storedIds(), 'three writes removed all seven old rows');
    }

    public function testPruningLeavesTheOutcomeCountersAlone(): void
    {
        $log = $this->log(NotificationRetention::of(self::DAY));
        foreach (['queued', 'duplicate', 'duplicate', 'resolved'] as $outcome) {
            $this->record($log, $outcome);
        }
        $before = $log->outcomeCounts();
        $this->fixture->clock()->advance('+2 days');

        $this->record($log, 'ignored');

        self::assertCount(1, $this->storedIds(), 'the four older notifications were pruned');
        $expected = $before;
        $expected['ignored']++;
        self::assertSame($expected, $log->outcomeCounts());
        self::assertSame([1, 2, 1], [$before['queued'], $before['duplicate'], $before['resolved']]);
    }

    public function testANegativeRetentionIsRefused(): void
    {
        $this->expectException(InvalidArgumentException::class);
        NotificationRetention::of(-1);
    }

    public function testAnEmptyBatchIsRefused(): void
    {
        $this->expectException(InvalidArgumentException::class);
        NotificationRetention::of(self::DAY, batch: 0);
    }

    private function log(NotificationRetention $retention): WebhookLog
    {
        return WebhookLog::on($this->fixture->pdo(), $this->fixture->clock(), $retention);
    }

    /** Records a notification and counts its outcome, as AlertIntake does. */
    private function record(WebhookLog $log, string $outcome): int
    {
        $body = PayloadFixture::json(PayloadFixture::notification([PayloadFixture::alert()]));
        $id = $log->recordNotification(PayloadParser::create()->parse($body), $outcome, [], $body);
        $log->count($outcome);
        return $id;
    }

    /** @return list<int> newest first */
    private function storedIds(): array
    {
        $rows = $this->fixture->pdo()->query('SELECT id FROM notifications ORDER BY id DESC')->fetchAll(\PDO::FETCH_COLUMN);
        return array_map('intval', $rows);
    }
}
