package io.omoib.vton.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The malloc that libtorch's tensors come from in this process, read from its own memory map: what
 * the launchers preloaded ({@code vton-examples/docker/vton-runtime.sh}), or glibc's.
 */
final class NativeAllocator {
    private static final List<String> KNOWN = List.of("jemalloc", "tcmalloc", "mimalloc");

    private NativeAllocator() {
    }

    /**
     * {@return {@code jemalloc (/usr/lib/x86_64-linux-gnu/libjemalloc.so.2)}, or {@code glibc malloc (...)}
     * with what to install, or {@code unknown} where there is no {@code /proc/self/maps}}
     */
    static String describe() {
        List<String> maps;
        try {
            maps = Files.readAllLines(Path.of("/proc/self/maps"));
        } catch (IOException | SecurityException e) {
            return "unknown";
        }
        for (String name : KNOWN) {
            Optional<String> library = maps.stream()
                    .map(line -> line.substring(line.lastIndexOf(' ') + 1))
                    .filter(path -> path.startsWith("/") && Path.of(path).getFileName().toString().startsWith("lib" + name))
                    .findFirst();
            if (library.isPresent()) {
                return name + " (" + library.get() + ")";
            }
        }
        return "glibc malloc (CPU inference runs about 2x faster with jemalloc: install libjemalloc2;"
                + " README \"Performance tuning\")";
    }
}
