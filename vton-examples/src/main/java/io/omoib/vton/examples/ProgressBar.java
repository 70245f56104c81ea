package io.omoib.vton.examples;

import io.omoib.vton.service.ProgressListener;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * One line on a terminal that follows a try-on through its phases: {@code preparing the images...}, {@code encoding
 * the images...}, {@code [#####.....] step 7/15  3.2 it/s}, {@code decoding the result...}; ended by a line
 * break when the request is done.
 */
final class ProgressBar implements ProgressListener {
    private static final int WIDTH = 30;
    private final PrintWriter out;
    /** Length of the text now on the line, so that a shorter one can blank the rest. */
    private int shown;
    /** When the first step ended: the rate counts the steps after it, not the encoding before. */
    private long firstStep;

    /**
     * Creates a progress bar that draws on a terminal.
     *
     * @param out where the bar is drawn, redrawn in place with carriage returns
     */
    ProgressBar(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void onProgress(Event event) {
        switch (event.stage()) {
            case PREPARING -> show("preparing the images...");
            case QUEUED -> { }
            case ENCODING -> show("encoding the images...");
            case RUNNING -> show(bar(event.step(), event.steps()));
            case DECODING -> show("decoding the result...");
            case STORING -> show("storing the result...");
            case DONE -> {
                if (shown > 0) {
                    out.println();
                    out.flush();
                    shown = 0;
                }
            }
        }
    }

    private String bar(int step, int steps) {
        long now = System.nanoTime();
        if (step == 1) {
            firstStep = now;
        }
        int filled = WIDTH * step / steps;
        String text = String.format(Locale.ROOT, "[%s%s] step %d/%d", "#".repeat(filled), ".".repeat(WIDTH - filled),
                step, steps);
        return step == 1 ? text : text + String.format(Locale.ROOT, "  %.1f it/s", (step - 1) / Math.max((now - firstStep) / 1e9, 1e-9));
    }

    private void show(String text) {
        out.print("\r" + text + " ".repeat(Math.max(0, shown - text.length())));
        out.flush();
        shown = text.length();
    }
}
