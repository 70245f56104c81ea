package io.omoib.vton.preprocess;

/**
 * CatVTON's {@code --repaint}: keeps the original person outside the mask so that only the garment
 * region changes, with a soft edge. Exactly {@code inference.py}'s {@code repaint}: the mask is blurred
 * with Pillow's {@code GaussianBlur(k)}, {@code k = height / 50} made odd, and each sample becomes
 * {@code person * (1 - m) + result * m} with {@code m = blurred / 255}, in double precision, truncated
 * to 8 bits as numpy's {@code astype(uint8)} does.
 */
public final class Repaint {
    private Repaint() {
    }

    /**
     * {@return the blend}
     *
     * @param person the prepared person, {@code W x H}
     * @param mask the prepared mask (255 = garment region), {@code W x H}
     * @param result the generated image, {@code W x H}
     * @throws IllegalArgumentException if the sizes differ
     */
    public static RgbImage apply(RgbImage person, GrayImage mask, RgbImage result) {
        int w = result.width();
        int h = result.height();
        if (person.width() != w || person.height() != h || mask.width() != w || mask.height() != h) {
            throw new IllegalArgumentException("repaint needs person, mask and result of one size, got "
                    + person + ", " + mask + ", " + result);
        }
        int kernel = h / 50;
        if (kernel % 2 == 0) {
            kernel++;
        }
        byte[] soft = Masks.gaussianBlur(mask, kernel).pixels();
        byte[] original = person.pixels();
        byte[] generated = result.pixels();
        byte[] out = new byte[generated.length];
        for (int i = 0; i < soft.length; i++) {
            double m = (soft[i] & 0xFF) / 255.0;
            for (int c = 0; c < 3; c++) {
                int p = 3 * i + c;
                out[p] = (byte) (int) ((original[p] & 0xFF) * (1 - m) + (generated[p] & 0xFF) * m);
            }
        }
        return RgbImage.wrap(w, h, out);
    }
}
