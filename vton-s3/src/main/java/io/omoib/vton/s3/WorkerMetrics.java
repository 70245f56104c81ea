package io.omoib.vton.s3;

/**
 * A snapshot of an {@link SqsWorker}'s counters since it started.
 *
 * @param received messages received, redeliveries included
 * @param completed jobs whose result was stored (and notice sent); their messages deleted
 * @param rejected jobs refused for bad input: failure notice sent, message deleted
 * @param retried jobs that failed for a transient reason, left for redelivery
 * @param released messages returned to the queue unstarted because the worker was stopping
 * @param inFlight messages held now, running or being prepared
 * @param receiveErrors receive calls that failed (SQS unreachable, credentials)
 * @param doneP50Millis median time from receiving a message to deleting it after its result, over the
 *     last 1,024 completed jobs
 * @param doneP95Millis 95th percentile, likewise
 * @param doneP99Millis 99th percentile, likewise
 * @param queueWaitP50Millis median time from a message's sending (its {@code SentTimestamp}) to its
 *     receipt, over the last 1,024 messages; clocks of sender and SQS may differ by a little
 * @param queueWaitP95Millis 95th percentile, likewise
 * @param queueWaitP99Millis 99th percentile, likewise
 * @param jobsPerSecond completed jobs per second over the last minute (or since the start, if sooner)
 */
public record WorkerMetrics(long received, long completed, long rejected, long retried, long released, int inFlight,
                            long receiveErrors, double doneP50Millis, double doneP95Millis, double doneP99Millis,
                            double queueWaitP50Millis, double queueWaitP95Millis, double queueWaitP99Millis,
                            double jobsPerSecond) {
}
