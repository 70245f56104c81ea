package io.omoib.vton.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Decodes reserve their memory from a shared budget before reading pixels, and very large images are read at a fraction. */
class DecodeBudgetTest {
    /** A 16-bit RGBA PNG of one colour: a few KB on the wire, 8 bytes a pixel inside the decoder. */
    static byte[] sixteenBitRgbaPng(int width, int height) throws IOException {
        ComponentColorModel model = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_USHORT);
        WritableRaster raster = model.createCompatibleWritableRaster(width, height);
        int[] pixel = {40000, 20000, 10000, 65535};
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raster.setPixel(x, y, pixel);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(model, raster, false, null), "png", out);
        return out.toByteArray();
    }

    @Test
    void anImageThatNeedsMoreThanTheWholeBudgetIsRefusedBeforeDecoding() throws IOException {
        ImageCodec codec = ImageCodec.builder().budget(DecodeBudget.of(1 << 20, Duration.ZERO)).build();
        byte[] png = sixteenBitRgbaPng(400, 400);   // 160,000 pixels x 14 bytes = 2.1 MiB

        assertThatThrownBy(() -> codec.decode(png, "person image"))
                .isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("person image")
                .hasMessageContaining("more than the 1 MiB all decoders may use");
        assertThat(codec.budget().available()).isEqualTo(1 << 20);
    }

    @Test
    void aDecodeWaitsForItsShareAndIsRefusedWhenOthersHoldTheBudget() throws IOException {
        DecodeBudget budget = DecodeBudget.of(4 << 20, Duration.ZERO);
        ImageCodec codec = ImageCodec.builder().budget(budget).build();
        byte[] png = sixteenBitRgbaPng(400, 400);

        try (DecodeBudget.Reservation other = budget.reserve(3 << 20, "another image")) {
            assertThatThrownBy(() -> codec.decode(png, "mask image"))
                    .isInstanceOf(DecodeBudget.Exhausted.class).isInstanceOf(RejectedExecutionException.class)
                    .hasMessageContaining("mask image").hasMessageContaining("try again");
        }
        RgbImage decoded = codec.decode(png, "mask image");

        assertThat(decoded.width()).isEqualTo(400);
        assertThat(budget.available()).as("every reservation returned").isEqualTo(4 << 20);
    }

    @Test
    void aFailedDecodeReturnsItsReservation() {
        DecodeBudget budget = DecodeBudget.of(4 << 20, Duration.ZERO);
        ImageCodec codec = ImageCodec.builder().budget(budget).build();
        byte[] truncated = java.util.Arrays.copyOf(ImageCodec.defaults().encodePng(RgbImage.filled(300, 300, 1, 2, 3)), 200);

        assertThatThrownBy(() -> codec.decode(truncated, "garment")).isInstanceOf(InvalidImageException.class);
        assertThat(budget.available()).isEqualTo(4 << 20);
    }

    @Test
    void aHoldingKeepsEachDecodedImageReservedUntilItCloses() {
        DecodeBudget budget = DecodeBudget.of(4 << 20, Duration.ZERO);
        ImageCodec codec = ImageCodec.builder().budget(budget).build();
        byte[] png = ImageCodec.defaults().encodePng(RgbImage.filled(300, 300, 1, 2, 3));
        long image = (300L * 300 * 3 + 1023) / 1024 * 1024;

        try (DecodeBudget.Holding kept = budget.holding()) {
            codec.decode(png, "person", 0, 0, kept);
            codec.decode(png, "mask", 0, 0, kept);

            assertThat(kept.bytes()).isEqualTo(2 * image);
            assertThat(budget.available()).isEqualTo((4 << 20) - 2 * image);
        }
        assertThat(budget.available()).as("closing the holding returns it all").isEqualTo(4 << 20);
    }

    @Test
    void aDecodeThatCannotFitBesideWhatItsHoldingKeepsIsRefusedAsTooLarge() throws IOException {
        // a wait far longer than the test: refusing must not depend on waiting
        DecodeBudget budget = DecodeBudget.of(3 << 20, Duration.ofSeconds(30));
        ImageCodec codec = ImageCodec.builder().budget(budget).build();
        byte[] png = sixteenBitRgbaPng(400, 400);   // 2.1 MiB to decode, 0.46 MiB kept: the third cannot fit

        try (DecodeBudget.Holding kept = budget.holding()) {
            codec.decode(png, "person image", 0, 0, kept);
            codec.decode(png, "mask image", 0, 0, kept);

            assertThatThrownBy(() -> codec.decode(png, "garment", 0, 0, kept))
                    .isInstanceOf(InvalidImageException.class)
                    .hasMessageContaining("garment").hasMessageContaining("other images keep 0.9 MiB");
        }
        assertThat(budget.available()).isEqualTo(3 << 20);
    }

    @Test
    void aHoldingOfAnotherBudgetIsRefused() {
        ImageCodec codec = ImageCodec.builder().budget(DecodeBudget.of(4 << 20, Duration.ZERO)).build();
        byte[] png = ImageCodec.defaults().encodePng(RgbImage.filled(10, 10, 1, 2, 3));

        try (DecodeBudget.Holding foreign = DecodeBudget.of(4 << 20, Duration.ZERO).holding()) {
            assertThatThrownBy(() -> codec.decode(png, "person", 0, 0, foreign))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("budget().holding()");
        }
    }

    @Test
    void anImageAtLeastTwiceTheTargetOnItsShorterSideIsReadAtAFraction() throws IOException {
        ImageCodec codec = ImageCodec.defaults();
        RgbImage big = RgbImage.filled(2200, 3000, 200, 100, 50);
        byte[] png = codec.encodePng(big);

        RgbImage forSmallTarget = codec.decode(png, "big", 384, 512);     // 2200 / (2 x 512) = 2
        RgbImage forLargeTarget = codec.decode(png, "big", 768, 1024);    // 2200 / (2 x 1024) = 1

        assertThat(forSmallTarget.width()).isEqualTo(1100);
        assertThat(forSmallTarget.height()).isEqualTo(1500);
        assertThat(forSmallTarget.rgb(10, 10)).isEqualTo(big.rgb(10, 10));
        assertThat(forLargeTarget).isEqualTo(codec.decode(png, "big"));
    }

    @Test
    void budgetsRefuseImpossibleSizes() {
        assertThatThrownBy(() -> DecodeBudget.of(10, Duration.ZERO)).hasMessageContaining("1 KiB");
        assertThatThrownBy(() -> DecodeBudget.of(1 << 20, Duration.ofSeconds(-1))).hasMessageContaining("negative");
        assertThat(DecodeBudget.shared().bytes()).isEqualTo(Runtime.getRuntime().maxMemory() / 4);
    }
}
