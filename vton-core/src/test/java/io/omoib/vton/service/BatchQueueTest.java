package io.omoib.vton.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The batching policy on its own, with numbers for requests: no model, no service. */
class BatchQueueTest {
    /** Odd numbers batch with odd ones, even with even ones. */
    private static BatchQueue<Integer> queue(int maxBatch, long maxWaitSeconds, Set<Integer> unwanted) {
        return new BatchQueue<>(maxBatch, maxWaitSeconds, TimeUnit.SECONDS, (head, other) -> head % 2 == other % 2,
                item -> !unwanted.contains(item));
    }

    private static void add(BatchQueue<Integer> queue, int... items) {
        for (int item : items) {
            queue.preparing();
            queue.prepared(item);
        }
    }

    @Test
    void batchesStartWithTheOldestItemAndTakeOnlyCompatibleOnes() throws Exception {
        BatchQueue<Integer> queue = queue(3, 0, Set.of());
        add(queue, 1, 2, 3, 4, 5, 7);

        assertThat(queue.next()).containsExactly(1, 3, 5);
        assertThat(queue.next()).containsExactly(2, 4);
        assertThat(queue.next()).containsExactly(7);
    }

    @Test
    void aBatchWaitsForAnItemStillBeingPrepared() throws Exception {
        BatchQueue<Integer> queue = queue(2, 600, Set.of());
        queue.preparing();
        add(queue, 1);

        CompletableFuture<List<Integer>> batch = CompletableFuture.supplyAsync(() -> {
            try {
                return queue.next();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        queue.prepared(3);

        assertThat(batch.get(60, TimeUnit.SECONDS)).containsExactly(1, 3);
    }

    @Test
    void withNothingBeingPreparedABatchLeavesWithoutWaiting() throws Exception {
        BatchQueue<Integer> queue = queue(4, 600, Set.of());
        add(queue, 1, 2);

        // maxWait is ten minutes: returning at all shows that it did not wait for items that cannot come
        assertThat(queue.next()).containsExactly(1);
    }

    @Test
    void aFailedPreparationEndsTheWaitForIt() throws Exception {
        BatchQueue<Integer> queue = queue(2, 600, Set.of());
        queue.preparing();
        add(queue, 1);
        queue.prepared(null);

        assertThat(queue.next()).containsExactly(1);
    }

    @Test
    void withdrawnAndUnwantedItemsAreNeverBatched() throws Exception {
        Set<Integer> unwanted = ConcurrentHashMap.newKeySet();
        unwanted.add(3);
        BatchQueue<Integer> queue = queue(4, 0, unwanted);
        add(queue, 1, 3, 5, 7);
        queue.remove(5);

        assertThat(queue.next()).containsExactly(1, 7);
    }

    @Test
    void aDrainedQueueHandsOutWhatItHoldsThenEnds() throws Exception {
        BatchQueue<Integer> queue = queue(1, 0, Set.of());
        add(queue, 1, 2);
        queue.drain();

        assertThat(queue.next()).containsExactly(1);
        assertThat(queue.next()).containsExactly(2);
        assertThat(queue.next()).isNull();
    }

    @Test
    void aDrainedQueueStillWaitsForItemsBeingPrepared() throws Exception {
        BatchQueue<Integer> queue = queue(1, 0, Set.of());
        queue.preparing();
        queue.drain();

        CompletableFuture<List<Integer>> batch = CompletableFuture.supplyAsync(() -> {
            try {
                return queue.next();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        queue.prepared(8);

        assertThat(batch.get(60, TimeUnit.SECONDS)).containsExactly(8);
        assertThat(queue.next()).isNull();
    }

    @Test
    void aStoppedQueueEndsAtOnceEvenWithItemsWaiting() throws Exception {
        BatchQueue<Integer> queue = queue(1, 0, Set.of());
        add(queue, 1);
        queue.stop();

        assertThat(queue.next()).isNull();
    }
}
