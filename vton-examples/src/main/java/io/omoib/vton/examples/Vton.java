package io.omoib.vton.examples;

import ai.djl.engine.Engine;
import io.omoib.vton.pipeline.ModelArtifactException;
import io.omoib.vton.service.Failure;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine;

/**
 * The {@code vton} command line: {@code tryon}, {@code preprocess}, {@code serve}, {@code worker}. Exit codes: 0 on
 * success; 2 for bad usage or bad input, with one line on stderr; 1 for anything else. Stack traces
 * only with {@code --verbose}.
 */
@Command(name = "vton", mixinStandardHelpOptions = true, version = "vton 0.1.0",
        description = "Virtual try-on (CatVTON) on the JVM.",
        subcommands = {TryOnCommand.class, PreprocessCommand.class, ServeCommand.class, WorkerCommand.class})
public final class Vton implements Runnable {
    /** The commands that run a model. */
    private static final Set<String> MODEL_COMMANDS = Set.of("tryon", "serve", "worker");

    /** {@code --verbose}: Print stack traces on errors. */
    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces on errors.")
    boolean verbose;

    /** This command's picocli spec, injected by picocli (its output streams and usage). */
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private Vton() {
    }

    /**
     * Runs the {@code vton} command line and exits with its exit code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        if (Arrays.stream(args).anyMatch(MODEL_COMMANDS::contains)) {
            startLoadingLibtorch();
        }
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /**
     * Loads libtorch on a daemon thread: it takes about half a second, during which the command line
     * is parsed and the model's manifest and the images are read on the main thread. A failure is left to
     * the command, which meets it again where it uses the engine and reports it.
     */
    private static void startLoadingLibtorch() {
        Thread loader = new Thread(() -> {
            try {
                Engine.getEngine("PyTorch");
            } catch (RuntimeException e) {
                // reported by the command when it loads the model
            }
        }, "vton-libtorch-loader");
        loader.setDaemon(true);
        loader.start();
    }

    /**
     * Runs a command line.
     *
     * @return the exit code: 0, 1 or 2
     */
    static int execute(PrintWriter out, PrintWriter err, String... args) {
        return commandLine(out, err, args).execute(args);
    }

    /** {@return the configured command line, for tests that keep a handle on a subcommand} */
    static CommandLine commandLine(PrintWriter out, PrintWriter err, String... args) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        CommandLine cli = new CommandLine(new Vton());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, a) -> {
            CommandLine command = e.getCommandLine();
            err.println(command.getCommandName().equals("vton") ? "vton: " + e.getMessage()
                    : "vton " + command.getCommandName() + ": " + e.getMessage()
                    + " (see vton " + command.getCommandName() + " --help)");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            String name = command.getCommandName().equals("vton") ? "vton" : "vton " + command.getCommandName();
            Failure failure = Failure.of(e);
            // a model directory that is not a model is the user's input here, as a wrong option is
            boolean input = failure.kind() == Failure.Kind.CLIENT || e instanceof ModelArtifactException;
            String message = failure.message();
            if (failure.input() != null) {
                message = InputOptions.option(failure.input()) + ": " + message;
            }
            err.println(name + ": " + (input ? "" : "failed: ") + oneLine(message));
            if (verbose) {
                e.printStackTrace(err);
            }
            err.flush();
            return input ? 2 : 1;
        });
        return cli;
    }

    private static String oneLine(String message) {
        return message.replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "give a command: tryon, preprocess, serve or worker (see vton --help)");
    }
}
