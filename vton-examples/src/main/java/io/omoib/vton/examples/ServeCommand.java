package io.omoib.vton.examples;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.omoib.vton.pipeline.CatVTONPipeline;
import io.omoib.vton.pipeline.TryOnParameters;
import io.omoib.vton.s3.AwsSettings;
import io.omoib.vton.service.TryOnService;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** {@code vton serve}: the SageMaker-compatible inference server, until SIGTERM. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs the SageMaker-compatible inference server: GET /ping, POST /invocations, GET /metrics.",
                "SIGTERM (or Ctrl-C) drains in-flight work for up to 25 s, then exits 0."})
final class ServeCommand implements Callable<Integer> {
    /** Where SageMaker unpacks model.tar.gz. */
    static final Path SAGEMAKER_MODEL = Path.of("/opt/ml/model");
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    /** This command's picocli spec, injected by picocli (its output streams and usage). */
    @Spec
    CommandSpec spec;

    /** The model options ({@code --model}, {@code --device}, {@code --dtype}, {@code --threads}, {@code --tf32}). */
    @Mixin
    ModelOptions model;

    /** {@code --port}: the port to listen on; else {@code SAGEMAKER_BIND_TO_PORT}, else 8080; 0 picks a free one. */
    @Option(names = "--port", paramLabel = "P",
            description = "Port (default: SAGEMAKER_BIND_TO_PORT, else 8080; 0 picks a free one).")
    Integer port;

    /** {@code --host}: Address to listen on. */
    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "0.0.0.0",
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    /** {@code --queue}: Requests waiting before 503. */
    @Option(names = "--queue", paramLabel = "N", defaultValue = "${env:VTON_QUEUE:-64}",
            description = "Requests waiting before 503 (default: VTON_QUEUE, else 64; now ${DEFAULT-VALUE}).")
    int queue;

    /** {@code --max-batch}: Requests sharing one pipeline run; raise it on a GPU. */
    @Option(names = "--max-batch", paramLabel = "B", defaultValue = "${env:VTON_MAX_BATCH:-1}",
            description = "Requests sharing one pipeline run; raise it on a GPU (default: VTON_MAX_BATCH, else 1; now ${DEFAULT-VALUE}).")
    int maxBatch;

    /** {@code --timeout}: Per-request deadline in seconds; 504 after it. */
    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "${env:VTON_TIMEOUT:-55}",
            description = "Per-request deadline in seconds; 504 after it (default: VTON_TIMEOUT, else 55; now ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    /** {@code --read-timeout}: Seconds a connection has to send one complete request; slower clients are closed. */
    @Option(names = "--read-timeout", paramLabel = "SECONDS", defaultValue = "${env:VTON_READ_TIMEOUT:-30}",
            description = "Seconds a connection has to send one complete request; slower clients are closed "
                    + "(default: VTON_READ_TIMEOUT, else 30; now ${DEFAULT-VALUE}).")
    int readTimeoutSeconds;

    /** {@code --max-connections}: Connections open at once; more are closed as soon as they arrive. */
    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "${env:VTON_MAX_CONNECTIONS:-1024}",
            description = "Connections open at once; more are closed as soon as they arrive "
                    + "(default: VTON_MAX_CONNECTIONS, else 1024; now ${DEFAULT-VALUE}).")
    int maxConnections;

    /**
     * {@code --max-body}: Largest /invocations body in MiB, refused with 413 past it; raise it for asynchronous
     * inference.
     */
    @Option(names = "--max-body", paramLabel = "MiB", defaultValue = "${env:VTON_MAX_BODY_MB:-6}",
            description = "Largest /invocations body in MiB, refused with 413 past it; raise it for asynchronous "
                    + "inference (default: VTON_MAX_BODY_MB, else 6; now ${DEFAULT-VALUE}).")
    int maxBodyMib;

    /**
     * {@code --warm-up}: Run one short try-on at each of the model's sizes before /ping answers 200, so the first
     * request is not slow.
     */
    @Option(names = "--warm-up", negatable = true, defaultValue = "${env:VTON_WARM_UP:-true}", fallbackValue = "true",
            description = "Run one short try-on at each of the model's sizes before /ping answers 200, so the first request is not slow "
                    + "(default: VTON_WARM_UP, else on; --no-warm-up turns it off).")
    boolean warmUp;

    /** Released by SIGTERM or SIGINT; tests release it themselves. */
    final CountDownLatch stop = new CountDownLatch(1);
    private volatile InferenceServer server;

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = System.getenv();
        PrintWriter out = spec.commandLine().getOut();
        if (timeoutSeconds < 1 || timeoutSeconds > 3600) {
            throw new BadInputException("--timeout", "--timeout must be 1 to 3600 seconds, got " + timeoutSeconds);
        }
        if (queue < 1 || queue > 100_000) {
            throw new BadInputException("--queue", "--queue must be 1 to 100000, got " + queue);
        }
        if (maxBatch < 1 || maxBatch > 64) {
            throw new BadInputException("--max-batch", "--max-batch must be 1 to 64, got " + maxBatch);
        }
        if (readTimeoutSeconds < 1 || readTimeoutSeconds > 3600) {
            throw new BadInputException("--read-timeout", "--read-timeout must be 1 to 3600 seconds, got "
                    + readTimeoutSeconds);
        }
        if (maxConnections < 1 || maxConnections > 100_000) {
            throw new BadInputException("--max-connections", "--max-connections must be 1 to 100000, got "
                    + maxConnections);
        }
        if (maxBodyMib < 1 || maxBodyMib > 1024) {
            throw new BadInputException("--max-body", "--max-body must be 1 to 1024 MiB, got " + maxBodyMib);
        }
        int listenOn = port != null ? port : portFromEnvironment(env);
        TryOnParameters defaults = defaults(env);
        // one registry for the service and the server: GET /metrics writes both
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (AwsSettings aws = AwsSettings.fromEnvironment()) {
            server = InferenceServer.builder()
                    .meterRegistry(meters)
                    .host(host).port(listenOn)
                    .sources(Environment.sources(env, aws, false))
                    .defaults(defaults)
                    .timeout(Duration.ofSeconds(timeoutSeconds))
                    .readTimeout(Duration.ofSeconds(readTimeoutSeconds))
                    .maxConnections(maxConnections)
                    .maxBodyBytes((long) maxBodyMib << 20)
                    .storesResults(aws.bucket().isPresent())
                    .concurrentTransforms(maxBatch + 1)
                    .start();
            Signal.handle(new Signal("TERM"), signal -> stop.countDown());
            Signal.handle(new Signal("INT"), signal -> stop.countDown());
            out.println("listening on http://" + host + ":" + server.port());
            out.flush();
            LOG.info("allocator: {}", NativeAllocator.describe());
            try (CatVTONPipeline pipeline = model.pipeline(modelDirectory(model)).build()) {
                model.dtypeNote().ifPresent(note -> LOG.info(note));
                ModelOptions.weightsWarning(pipeline.artifact()).ifPresent(LOG::warn);
                if (warmUp) {
                    warmUp(pipeline, out);
                }
                TryOnService.Builder service = TryOnService.builder().pipeline(pipeline).queueCapacity(queue)
                        .maxBatch(maxBatch).defaults(defaults).meterRegistry(meters);
                aws.resultSink().ifPresent(service::sink);
                aws.notifier().ifPresent(service::notifier);
                server.ready(service.build());
                out.println("ready: model " + pipeline.artifact().name() + " (" + pipeline.variant().id()
                        + "), queue " + queue + ", max batch " + maxBatch + ", " + defaults.steps() + " steps by default"
                        + aws.bucket().map(b -> ", results to s3://" + b).orElse(""));
                out.flush();
                stop.await();
                out.println("stopping: draining in-flight work for up to 25 s");
                out.flush();
                server.shutdown(Duration.ofSeconds(25));
            } finally {
                server.shutdown(Duration.ZERO);
            }
        }
        out.println("stopped");
        out.flush();
        return 0;
    }

    /** Warms the pipeline up at every size and says how long it took. */
    static void warmUp(CatVTONPipeline pipeline, PrintWriter out) {
        Duration took = pipeline.warmUp();
        out.println("warmed up: " + pipeline.artifact().sizes().stream().map(s -> s.width() + "x" + s.height())
                .collect(Collectors.joining(", ")) + " in " + took.toMillis() + " ms, " + pipeline.threads()
                + (pipeline.threads() == 1 ? " thread" : " threads"));
        out.flush();
    }

    /** {@return the port the server listens on, once {@code call} has started it; -1 before} */
    int listeningPort() {
        InferenceServer s = server;
        return s == null ? -1 : s.port();
    }

    /** {@return {@code --model}, else the model SageMaker unpacked, else the bundled toy model (with a warning)} */
    static Path modelDirectory(ModelOptions model) {
        if (model.model != null) {
            return model.model;
        }
        if (Files.isRegularFile(SAGEMAKER_MODEL.resolve("catvton.json"))) {
            return SAGEMAKER_MODEL;
        }
        Path toy = Environment.bundledModel();
        LOG.warn("*** no --model and no model in {}: serving the bundled TOY model, which is not CatVTON ***",
                SAGEMAKER_MODEL);
        return toy;
    }

    private static int portFromEnvironment(Map<String, String> env) {
        String value = env.get("SAGEMAKER_BIND_TO_PORT");
        if (value == null || value.isBlank()) {
            return 8080;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new BadInputException("SAGEMAKER_BIND_TO_PORT", "SAGEMAKER_BIND_TO_PORT must be a port number, got '"
                    + value + "'");
        }
    }

    /** Steps from {@code NUM_STEP} (the seed server's variable), else 15; guidance 2.5, eta 1, seed 42. */
    static TryOnParameters defaults(Map<String, String> env) {
        String steps = env.get("NUM_STEP");
        try {
            return TryOnParameters.builder().steps(steps == null || steps.isBlank() ? 15 : Integer.parseInt(steps.strip()))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new BadInputException("NUM_STEP", "NUM_STEP must be a step count 1-1000, got '" + steps + "'");
        }
    }
}
