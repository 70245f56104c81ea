package io.omoib.vton.service;

import io.omoib.vton.preprocess.RgbImage;
import java.io.IOException;
import java.net.URI;

/**
 * Where {@link TryOnService} stores results: a local directory ({@link LocalDirectorySink}) or an
 * object store ({@code S3ResultSink} in vton-s3). A write either stores the whole image under its
 * final name or leaves nothing behind. Implementations are thread-safe.
 */
public interface ResultSink {
    /**
     * {@return where the result now is, such as {@code file:///srv/vton_output/u1/u1_upper_1700000000.jpg} or
     * {@code s3://bucket/users/u1/vton_result/1700000000/result.jpg}}
     *
     * @param name what names the result; its parts are untrusted text
     * @param image the try-on result
     * @throws IOException if it could not be stored; nothing partial remains
     */
    URI write(ResultName name, RgbImage image) throws IOException;
}
