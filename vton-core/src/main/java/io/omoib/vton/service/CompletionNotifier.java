package io.omoib.vton.service;

import java.io.IOException;
import java.net.URI;

/**
 * Told when a result has been stored, for example to queue a message for the service that asked for
 * it ({@code SqsCompletionNotifier} in vton-s3). Implementations are thread-safe.
 */
@FunctionalInterface
public interface CompletionNotifier {
    /**
     * Announces a stored result.
     *
     * @param name what names the result
     * @param location where the sink stored it
     * @throws IOException if the notice could not be sent
     */
    void notify(ResultName name, URI location) throws IOException;
}
