<?php

declare(strict_types=1);

namespace Driftline\Tests\Queue;

use Driftline\Contract\SharedContract;
use Driftline\Queue\JobState;
use PDOException;
use PHPUnit\Framework\TestCase;

/**
 * The job states have one definition: JobState, equal to the shared contract
 * (itself compared with driftline/metric_catalog.py by tests/php/test_contract.py),
 * and the database admits exactly its cases.
 *
 * @covers \Driftline\Queue\JobState
 * @covers \Driftline\Queue\Database
 */
final class JobStateTest extends TestCase
{
    private QueueFixture $fixture;

    protected function setUp(): void
    {
        $this->fixture = QueueFixture::create();
    }

    protected function tearDown(): void
    {
        $this->fixture->remove();
    }

    public function testTheEnumsCasesAreTheSharedContractsStates(): void
    {
        self::assertSame(SharedContract::JOB_STATES, JobState::values());
    }

    public function testTheActiveStatesAreTheOnesThatAreActive(): void
    {
        self::assertSame([JobState::Queued, JobState::Running], JobState::active());
    }

    public function testTheTableAdmitsEveryState(): void
    {
        foreach (JobState::cases() as $i => $state) {
            // A model per row: the active-job index allows one active job per model.
            $this->insert("model-{$i}", $state->value);
        }

        $stored = $this->fixture->pdo()->query('SELECT state FROM jobs ORDER BY id')->fetchAll(\PDO::FETCH_COLUMN);
        self::assertSame(JobState::values(), $stored);
    }

    public function testTheTableRefusesAStateTheEnumDoesNotHave(): void
    {
        $this->expectException(PDOException::class);
        $this->expectExceptionMessage('CHECK constraint failed');
        $this->insert('churn', 'paused');
    }

    /** @dataProvider activeStates */
    public function testOneActiveJobPerModelWhateverItsActiveState(JobState $first, JobState $second): void
    {
        $this->insert('churn', $first->value);

        $this->expectException(PDOException::class);
        $this->expectExceptionMessage('UNIQUE constraint failed');
        $this->insert('churn', $second->value);
    }

    /** @return iterable<string, array{JobState, JobState}> */
    public static function activeStates(): iterable
    {
        foreach (JobState::active() as $first) {
            foreach (JobState::active() as $second) {
                yield "{$first->value} then {$second->value}" => [$first, $second];
            }
        }
    }

    public function testFinishedJobsOfOneModelAreNotLimited(): void
    {
        $rows = 0;
        foreach (JobState::cases() as $state) {
            if (!$state->isActive()) {
                $this->insert('churn', $state->value);
                $this->insert('churn', $state->value);
                $rows += 2;
            }
        }
        $this->insert('churn', JobState::Queued->value);

        self::assertGreaterThan(0, $rows);
        self::assertSame($rows + 1, (int) $this->fixture->pdo()->query('SELECT COUNT(*) FROM jobs')->fetchColumn());
    }

    private function insert(string $model, string $state): void
    {
        $statement = $this->fixture->pdo()->prepare(
            "INSERT INTO jobs (model, state, reason, created_at, updated_at) VALUES (?, ?, '{}', 0, 0)",
        );
        $statement->execute([$model, $state]);
    }
}
