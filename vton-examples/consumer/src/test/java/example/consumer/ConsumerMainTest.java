package example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsumerMainTest {
    @TempDir
    Path dir;

    @Test
    void runsOneTryOnAgainstTheInstalledVtonCore() throws Exception {
        Path model = Path.of(System.getProperty("vton.model", "../../models/toy-catvton"));
        assertTrue(Files.isDirectory(model), "no model directory at " + model.toAbsolutePath());
        Path output = dir.resolve("result.jpg");

        ConsumerMain.tryOn(model, output);

        RgbImage written = ImageCodec.defaults().decode(output);
        assertEquals(768, written.width());
        assertEquals(1024, written.height());
        // the toy model pastes the (red) garment into the mask, here the whole frame
        int centre = written.rgb(384, 512);
        assertTrue(((centre >> 16) & 0xFF) > ((centre >> 8) & 0xFF) + 50, "centre is not red: " + Integer.toHexString(centre));
        System.out.println("vton-consumer: one try-on through io.omoib.vton:vton-core, "
                + written.width() + "x" + written.height() + ", ok");
    }
}
