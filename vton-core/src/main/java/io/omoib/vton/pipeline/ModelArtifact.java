package io.omoib.vton.pipeline;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.omoib.vton.pipeline.InvalidParameterException.Parameter;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A CatVTON model directory: {@code catvton.json} plus TorchScript files, one set per variant
 * (device and dtype). This class reads and validates the manifest; see {@code tools/export/README.md}
 * for the format.
 *
 * <pre>{@code
 * {"format": "catvton-torchscript", "format_version": 1, "name": ..., "width": 768, "height": 1024,
 *  "sizes": [[768, 1024], [384, 512]], "vae_scale_factor": 8, "latent_channels": 4,
 *  "scaling_factor": 0.18215, "concat_dim": "height", "scheduler": {...diffusers DDIM config...},
 *  "weights": "trained" (optional; "random" or "analytic" for test models),
 *  "variants": [{"device": "cpu", "dtype": "float32", "torch_version": ..., "vae_encoder": "cpu-float32/vae_encoder.pt",
 *                "unet": ..., "vae_decoder": ..., "sha256": {"cpu-float32/unet.pt": "...", ...}}]}
 * }</pre>
 *
 * Immutable.
 */
public final class ModelArtifact {
    /** The {@code format} this reader understands. */
    public static final String FORMAT = "catvton-torchscript";
    /** The {@code format_version} this reader understands. */
    public static final int FORMAT_VERSION = 1;
    /** The manifest's file name in a model directory. */
    static final String MANIFEST = "catvton.json";

    private final Path directory;
    private final String name;
    private final int width;
    private final int height;
    private final List<Size> sizes;
    private final int vaeScaleFactor;
    private final int latentChannels;
    private final float scalingFactor;
    private final DdimScheduler scheduler;
    private final Weights weights;
    private final List<Variant> variants;

    /** What a model's weights are: the manifest's optional {@code weights} field. */
    public enum Weights {
        /** Weights trained for try-on, such as CatVTON's (the default when the field is absent). */
        TRAINED,
        /** Random weights of the real structure, for tests and benchmarks: the output is noise. */
        RANDOM,
        /** No learned weights: a closed-form stand-in for tests that pastes the garments into the mask's box. */
        ANALYTIC;

        /**
         * The manifest's spelling of this value.
         *
         * @return {@code trained}, {@code random} or {@code analytic}
         */
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private ModelArtifact(Path directory, JsonObject json) {
        this.directory = directory;
        requireEquals(json, "format", FORMAT);
        int version = integer(json, "format_version");
        if (version != FORMAT_VERSION) {
            throw invalid("has format_version " + version + " but this library reads version " + FORMAT_VERSION
                    + "; re-export it with this release's tools/export");
        }
        requireEquals(json, "concat_dim", "height");
        this.name = string(json, "name");
        this.width = integer(json, "width");
        this.height = integer(json, "height");
        this.vaeScaleFactor = integer(json, "vae_scale_factor");
        this.latentChannels = integer(json, "latent_channels");
        this.scalingFactor = (float) number(json, "scaling_factor");
        if (vaeScaleFactor != 8 || latentChannels != 4) {
            throw invalid("declares vae_scale_factor " + vaeScaleFactor + " and latent_channels " + latentChannels
                    + "; CatVTON artifacts have 8 and 4");
        }
        this.sizes = parseSizes(json);
        this.scheduler = parseScheduler(object(json, "scheduler"));
        this.weights = parseWeights(json);
        List<Variant> parsed = new ArrayList<>();
        for (JsonElement element : array(json, "variants")) {
            parsed.add(parseVariant(element));
        }
        if (parsed.isEmpty()) {
            throw invalid("lists no variants; export at least one with tools/export");
        }
        this.variants = List.copyOf(parsed);
    }

    /**
     * Reads and validates {@code catvton.json} in a model directory and checks that every file it
     * names exists.
     *
     * @param directory the model directory
     * @return the artifact
     * @throws ModelArtifactException if the directory, the manifest or a file it names is missing or invalid
     */
    public static ModelArtifact load(Path directory) {
        Path manifest = directory.resolve(MANIFEST);
        if (!Files.isDirectory(directory)) {
            throw new ModelArtifactException("model directory " + directory + " does not exist; pass a directory"
                    + " made by tools/export (for example models/toy-catvton)");
        }
        if (!Files.isRegularFile(manifest)) {
            throw new ModelArtifactException("model directory " + directory + " has no " + MANIFEST
                    + "; it is not a CatVTON artifact made by tools/export");
        }
        JsonObject json;
        try (Reader reader = Files.newBufferedReader(manifest, StandardCharsets.UTF_8)) {
            JsonElement root = JsonParser.parseReader(reader);
            if (!root.isJsonObject()) {
                throw new ModelArtifactException(manifest + " is not a JSON object");
            }
            json = root.getAsJsonObject();
        } catch (IOException | JsonParseException e) {
            throw new ModelArtifactException("cannot read " + manifest + ": " + e.getMessage()
                    + "; restore the file from the exported artifact", e);
        }
        ModelArtifact artifact = new ModelArtifact(directory, json);
        for (Variant v : artifact.variants) {
            for (Path file : List.of(v.vaeEncoder(), v.unet(), v.vaeDecoder())) {
                if (!Files.isRegularFile(file)) {
                    throw new ModelArtifactException("model " + directory + ": variant " + v.id() + " names "
                            + directory.relativize(file) + ", which does not exist; copy the whole artifact directory");
                }
            }
        }
        return artifact;
    }

    /**
     * The variant for a device kind and dtype.
     *
     * @param device {@code cpu} or {@code cuda} (DJL's {@code gpu} means {@code cuda})
     * @param dtype the weight dtype
     * @return the variant
     * @throws ModelArtifactException listing the variants the artifact has
     */
    public Variant variant(String device, WeightDtype dtype) {
        String kind = device.equals("gpu") ? "cuda" : device;
        for (Variant v : variants) {
            if (v.device().equals(kind) && v.dtype() == dtype) {
                return v;
            }
        }
        throw new ModelArtifactException("model " + directory + " has no " + kind + "-" + dtype.id()
                + " variant; it has " + variants.stream().map(Variant::id).collect(Collectors.joining(", "))
                + ". Choose one of those, or export the variant with tools/export (variants are traced per"
                + " device and dtype)");
    }

    /**
     * Checks the SHA-256 of a variant's files against the manifest.
     *
     * @param variant a variant of this artifact
     * @throws ModelArtifactException naming the first file whose digest differs
     */
    public void verifyChecksums(Variant variant) {
        for (Map.Entry<String, String> entry : variant.sha256().entrySet()) {
            Path file = directory.resolve(entry.getKey());
            String actual = sha256(file);
            if (!actual.equalsIgnoreCase(entry.getValue())) {
                throw new ModelArtifactException("model file " + file + " is corrupt: its SHA-256 is " + actual
                        + " but " + MANIFEST + " says " + entry.getValue() + "; copy the artifact again");
            }
        }
    }

    /**
     * Checks that images of a size can run through this artifact.
     *
     * @param imageWidth width in pixels
     * @param imageHeight height in pixels
     * @throws InvalidParameterException naming the sizes the artifact accepts
     */
    public void checkSize(int imageWidth, int imageHeight) {
        if (sizes.contains(new Size(imageWidth, imageHeight))) {
            return;
        }
        throw new InvalidParameterException(Parameter.SIZE, "model " + name + " runs at " + sizes.stream()
                .map(Size::toString).collect(Collectors.joining(" or ")) + ", not " + imageWidth + "x"
                + imageHeight + "; prepare the images at one of those sizes");
    }

    /** {@return the model directory} */
    public Path directory() {
        return directory;
    }

    /** {@return the artifact's name} */
    public String name() {
        return name;
    }

    /** {@return the default image width in pixels (the size it was traced at)} */
    public int width() {
        return width;
    }

    /** {@return the default image height in pixels} */
    public int height() {
        return height;
    }

    /**
     * Lists the image sizes the artifact was checked at.
     *
     * @return every accepted size, the default ({@link #width()} x {@link #height()}) first; unmodifiable
     */
    public List<Size> sizes() {
        return sizes;
    }

    /** {@return the VAE latent scaling factor (0.18215 for SD 1.5)} */
    public float scalingFactor() {
        return scalingFactor;
    }

    /** {@return the DDIM scheduler configured as the manifest says} */
    public DdimScheduler scheduler() {
        return scheduler;
    }

    /**
     * What the weights are, so that a caller can warn when a test model runs.
     *
     * @return {@link Weights#TRAINED} unless the manifest says otherwise
     */
    public Weights weights() {
        return weights;
    }

    /** {@return the variants, in manifest order} */
    public List<Variant> variants() {
        return variants;
    }

    /**
     * An image size an artifact runs at, in pixels; both are positive multiples of 64.
     *
     * @param width width in pixels
     * @param height height in pixels
     */
    public record Size(int width, int height) {
        /**
         * Writes the size as {@code WIDTHxHEIGHT}.
         *
         * @return such as {@code 768x1024}
         */
        @Override
        public String toString() {
            return width + "x" + height;
        }
    }

    /**
     * One exported variant: TorchScript files traced for one device and dtype.
     *
     * @param device {@code cpu} or {@code cuda}
     * @param dtype the dtype the modules compute in
     * @param torchVersion the PyTorch version that traced them
     * @param vaeEncoder {@code image[B,3,H,W] -> moments[B,8,H/8,W/8]}
     * @param unet {@code sample[N,9,2H/8,W/8], timestep int64[N] -> noise[N,4,2H/8,W/8]}
     * @param vaeDecoder {@code latent[B,4,H/8,W/8] -> image[B,3,H,W]}
     * @param sha256 expected digests by path relative to the model directory
     */
    public record Variant(String device, WeightDtype dtype, String torchVersion, Path vaeEncoder, Path unet,
                          Path vaeDecoder, Map<String, String> sha256) {
        /** {@return {@code device-dtype}, as in {@code cpu-float32}} */
        public String id() {
            return device + "-" + dtype.id();
        }
    }

    private Variant parseVariant(JsonElement element) {
        if (!element.isJsonObject()) {
            throw invalid("has a variant that is not an object: " + element);
        }
        JsonObject v = element.getAsJsonObject();
        String device = string(v, "device");
        if (!device.equals("cpu") && !device.equals("cuda")) {
            throw invalid("has a variant for device '" + device + "'; devices are cpu and cuda");
        }
        WeightDtype dtype;
        try {
            dtype = WeightDtype.parse(string(v, "dtype"));
        } catch (IllegalArgumentException e) {
            throw invalid("has a variant with " + e.getMessage());
        }
        Map<String, String> sums = new LinkedHashMap<>();
        if (v.has("sha256")) {
            for (Map.Entry<String, JsonElement> e : object(v, "sha256").entrySet()) {
                sums.put(e.getKey(), e.getValue().getAsString());
            }
        }
        return new Variant(device, dtype, v.has("torch_version") ? string(v, "torch_version") : "unknown",
                file(v, "vae_encoder"), file(v, "unet"), file(v, "vae_decoder"), Map.copyOf(sums));
    }

    private Path file(JsonObject v, String key) {
        String relative = string(v, key);
        Path file = directory.resolve(relative).normalize();
        if (!file.startsWith(directory.normalize())) {
            throw invalid("names " + key + " file '" + relative + "' outside the model directory");
        }
        return file;
    }

    private List<Size> parseSizes(JsonObject json) {
        List<Size> list = new ArrayList<>();
        list.add(new Size(width, height));
        if (json.has("sizes")) {
            for (JsonElement e : array(json, "sizes")) {
                JsonArray pair = e.isJsonArray() ? e.getAsJsonArray() : null;
                if (pair == null || pair.size() != 2) {
                    throw invalid("has a sizes entry that is not [width, height]: " + e);
                }
                Size size = new Size(pair.get(0).getAsInt(), pair.get(1).getAsInt());
                if (!list.contains(size)) {
                    list.add(size);
                }
            }
        }
        for (Size size : list) {
            if (size.width() < 64 || size.height() < 64 || size.width() % 64 != 0 || size.height() % 64 != 0) {
                throw invalid("declares size " + size + "; sizes must be multiples of 64");
            }
        }
        return List.copyOf(list);
    }

    private Weights parseWeights(JsonObject json) {
        if (!json.has("weights")) {
            return Weights.TRAINED;
        }
        String value = string(json, "weights");
        for (Weights w : Weights.values()) {
            if (w.id().equals(value)) {
                return w;
            }
        }
        throw invalid("has weights '" + value + "'; it must be trained, random or analytic");
    }

    private DdimScheduler parseScheduler(JsonObject s) {
        try {
            return DdimScheduler.fromConfig(s);
        } catch (IllegalArgumentException e) {
            throw invalid("has an unusable scheduler block: " + e.getMessage());
        }
    }

    private void requireEquals(JsonObject json, String key, String expected) {
        String actual = string(json, key);
        if (!actual.equals(expected)) {
            throw invalid("has " + key + " '" + actual + "', expected '" + expected + "'");
        }
    }

    private String string(JsonObject json, String key) {
        JsonElement e = json.get(key);
        if (e == null || !e.isJsonPrimitive()) {
            throw invalid("lacks the string field '" + key + "'");
        }
        return e.getAsString();
    }

    private int integer(JsonObject json, String key) {
        double value = number(json, key);
        if (value != Math.rint(value) || Math.abs(value) > Integer.MAX_VALUE) {
            throw invalid("has a non-integer " + key + ": " + value);
        }
        return (int) value;
    }

    private double number(JsonObject json, String key) {
        JsonElement e = json.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw invalid("lacks the number field '" + key + "'");
        }
        return e.getAsDouble();
    }

    private JsonObject object(JsonObject json, String key) {
        JsonElement e = json.get(key);
        if (e == null || !e.isJsonObject()) {
            throw invalid("lacks the object field '" + key + "'");
        }
        return e.getAsJsonObject();
    }

    private JsonArray array(JsonObject json, String key) {
        JsonElement e = json.get(key);
        if (e == null || !e.isJsonArray()) {
            throw invalid("lacks the array field '" + key + "'");
        }
        return e.getAsJsonArray();
    }

    private ModelArtifactException invalid(String what) {
        return new ModelArtifactException(directory.resolve(MANIFEST) + " " + what);
    }

    private static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file),
                MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new ModelArtifactException("cannot read model file " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
