package io.omoib.vton.examples;

import io.omoib.vton.service.ProgressListener;
import java.io.PrintWriter;
import java.util.Locale;

/** A one-line progress bar for a terminal: {@code [#####.....] step 7/15  3.2 it/s}. */
final class ProgressBar implements ProgressListener {
    private static final int WIDTH = 30;
    private final PrintWriter out;
    private final long started = System.nanoTime();

    ProgressBar(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void onProgress(Event event) {
        if (event.stage() != Stage.RUNNING) {
            return;
        }
        int step = event.step();
        int steps = event.steps();
        int filled = WIDTH * step / steps;
        double seconds = (System.nanoTime() - started) / 1e9;
        out.printf(Locale.ROOT, "\r[%s%s] step %d/%d  %.1f it/s", "#".repeat(filled), ".".repeat(WIDTH - filled),
                step, steps, step / Math.max(seconds, 1e-9));
        if (step == steps) {
            out.println();
        }
        out.flush();
    }
}
