package io.omoib.vton.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.simple.SimpleConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ThroughputTest {
    private final MockClock clock = new MockClock();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry(SimpleConfig.DEFAULT, clock);
    private final Throughput throughput = new Throughput(meters, "test.throughput", "events per second");

    private void add(int events) {
        for (int i = 0; i < events; i++) {
            throughput.add();
        }
    }

    @Test
    void beforeAMinuteHasPassedTheRateIsOverTheTimeSinceCreation() {
        clock.add(Duration.ofSeconds(5));
        add(10);
        clock.add(Duration.ofSeconds(5));

        assertThat(throughput.perSecond()).isEqualTo(1.0);
        assertThat(meters.get("test.throughput").gauge().value()).isEqualTo(1.0);
    }

    @Test
    void afterAMinuteOnlyTheLastMinutesEventsCount() {
        add(600);
        clock.add(Duration.ofSeconds(30));
        add(120);
        clock.add(Duration.ofSeconds(45));

        assertThat(throughput.perSecond()).as("the first 600 are older than a minute").isEqualTo(2.0);
        clock.add(Duration.ofSeconds(30));
        assertThat(throughput.perSecond()).isZero();
    }

    @Test
    void aSlotReusedAMinuteLaterStartsAgainFromZero() {
        clock.add(Duration.ofSeconds(10));
        add(60);
        clock.add(Duration.ofSeconds(60));
        add(6);

        assertThat(throughput.perSecond()).isEqualTo(0.1);
    }

    @Test
    void removingTheGaugeLetsTheNameBeRegisteredAgain() {
        throughput.remove();
        assertThat(meters.find("test.throughput").gauge()).isNull();

        Throughput next = new Throughput(meters, "test.throughput", "events per second");
        next.add();
        clock.add(Duration.ofSeconds(1));
        assertThat(meters.get("test.throughput").gauge().value()).isEqualTo(1.0);
    }
}
