package io.omoib.vton.s3;

import io.omoib.vton.preprocess.RgbImage;

final class TestImages {
    private TestImages() {
    }

    static double meanAbsoluteDifference(RgbImage a, RgbImage b) {
        byte[] x = a.toByteArray();
        byte[] y = b.toByteArray();
        long sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += Math.abs((x[i] & 0xff) - (y[i] & 0xff));
        }
        return (double) sum / x.length;
    }
}
