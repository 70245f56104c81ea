/**
 * Helpers shared by this project's own modules; <b>not API</b>.
 *
 * <p>The package is public only because Java has no other way to share code between the packages
 * and modules of this library (vton-core, vton-s3). Nothing here is covered by compatibility
 * promises: types and methods may change or go in any release without notice. Applications must not
 * import it; what they may rely on is in {@code io.omoib.vton.pipeline}, {@code io.omoib.vton.service},
 * {@code io.omoib.vton.protocol}, {@code io.omoib.vton.source}, {@code io.omoib.vton.preprocess} and {@code io.omoib.vton.s3}.
 */
package io.omoib.vton.internal;
