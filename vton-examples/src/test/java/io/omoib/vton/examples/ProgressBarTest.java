package io.omoib.vton.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.omoib.vton.service.ProgressListener.Event;
import io.omoib.vton.service.ProgressListener.Stage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the progress line shows for each stage of a request. */
class ProgressBarTest {
    /** @return what a terminal shows after each event: the text after the last carriage return */
    private static List<String> screens(Event... events) {
        StringWriter text = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(text));
        String[] shown = new String[events.length];
        for (int i = 0; i < events.length; i++) {
            bar.onProgress(events[i]);
            String all = text.toString();
            shown[i] = all.substring(all.lastIndexOf('\r') + 1);
        }
        return Arrays.asList(shown);
    }

    private static Event event(Stage stage, int step, int steps) {
        return new Event("r1", stage, step, steps);
    }

    @Test
    void everyPhaseOfARunIsShownInTurnOnOneLine() {
        List<String> shown = screens(event(Stage.PREPARING, 0, 0), event(Stage.QUEUED, 0, 0),
                event(Stage.ENCODING, 0, 0), event(Stage.RUNNING, 1, 4), event(Stage.RUNNING, 2, 4),
                event(Stage.DECODING, 0, 0), event(Stage.DONE, 0, 0));

        assertThat(shown.get(0)).isEqualTo("preparing the images...");
        assertThat(shown.get(1)).isEqualTo("preparing the images...");
        assertThat(shown.get(2)).startsWith("encoding the images...");
        assertThat(shown.get(3)).startsWith("[#######.......................] step 1/4").doesNotContain("it/s");
        assertThat(shown.get(4)).matches("\\[#{15}\\.{15}] step 2/4  \\d+\\.\\d it/s");
        assertThat(shown.get(5)).startsWith("decoding the result...");
        assertThat(shown.get(6)).endsWith("\n");
    }

    @Test
    void aShorterTextBlanksWhatALongerOneLeft() {
        List<String> shown = screens(event(Stage.RUNNING, 1, 2), event(Stage.DECODING, 0, 0));

        assertThat(shown.get(1)).hasSameSizeAs(shown.get(0)).startsWith("decoding the result...").endsWith(" ");
    }

    @Test
    void aRequestThatFailsBeforeShowingAnythingPrintsNothing() {
        assertThat(screens(event(Stage.QUEUED, 0, 0), event(Stage.DONE, 0, 0))).containsOnly("");
    }
}
