package io.omoib.vton.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The instruction-set flags of this machine's CPU, as Linux lists them in {@code /proc/cpuinfo}
 * ({@code avx2}, {@code avx512_bf16}, {@code amx_bf16}, ...). Empty elsewhere, which every caller
 * reads as "nothing special".
 */
final class CpuFeatures {
    private static final Path CPUINFO = Path.of("/proc/cpuinfo");

    private CpuFeatures() {
    }

    /** {@return the first processor's flags, or an empty set when they cannot be read} */
    static Set<String> flags() {
        try {
            return Files.readAllLines(CPUINFO).stream()
                    .filter(line -> line.startsWith("flags"))
                    .findFirst()
                    .map(line -> Arrays.stream(line.substring(line.indexOf(':') + 1).trim().split("\\s+"))
                            .collect(Collectors.toUnmodifiableSet()))
                    .orElse(Set.of());
        } catch (IOException | SecurityException e) {
            return Set.of();
        }
    }
}
