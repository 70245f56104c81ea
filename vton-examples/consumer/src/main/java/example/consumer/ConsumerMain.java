package example.consumer;

import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.pipeline.WeightDtype;
import io.omoib.vton.preprocess.ClothType;
import io.omoib.vton.preprocess.Garments;
import io.omoib.vton.preprocess.ImageCodec;
import io.omoib.vton.preprocess.RgbImage;
import io.omoib.vton.preprocess.TryOnImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What another project writes to use vton-core: prepare the images, build a pipeline from a model
 * directory, run one try-on and write the result.
 */
public final class ConsumerMain {
    private ConsumerMain() {
    }

    /**
     * Runs one try-on on plain synthetic pictures.
     *
     * @param modelDirectory a CatVTON model artifact, such as the repository's {@code models/toy-catvton}
     * @param output where to write the JPEG result
     * @return the result
     * @throws IOException if the result cannot be written
     */
    public static RgbImage tryOn(Path modelDirectory, Path output) throws IOException {
        TryOnImages prepared = TryOnImages.prepare(
                RgbImage.filled(600, 800, 90, 120, 150),    // the person
                RgbImage.filled(600, 800, 255, 255, 255),   // the mask: everything
                Garments.upper(RgbImage.filled(300, 300, 200, 20, 20)),  // a red upper garment
                ClothType.UPPER, 768, 1024);
        try (CatVTONPipeline pipeline = CatVTONPipeline.builder()
                .modelDirectory(modelDirectory)
                .weightDtype(WeightDtype.FLOAT32)
                .build()) {
            TryOnParameters parameters = TryOnParameters.builder().steps(15).guidance(2.5f).seed(42).build();
            RgbImage result = pipeline.run(prepared, parameters);
            Files.write(output, ImageCodec.defaults().encodeJpeg(result));
            return result;
        }
    }

    /**
     * {@code java example.consumer.ConsumerMain MODEL_DIR [OUTPUT.jpg]}.
     *
     * @param args the model directory and, optionally, the output file
     * @throws IOException if the result cannot be written
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: ConsumerMain MODEL_DIR [OUTPUT.jpg]");
            System.exit(2);
        }
        Path output = Path.of(args.length > 1 ? args[1] : "consumer-result.jpg");
        RgbImage result = tryOn(Path.of(args[0]), output);
        System.out.println("wrote " + output + " (" + result.width() + "x" + result.height() + ")");
    }
}
