package io.omoib.vton.source;

import io.omoib.vton.source.ImageSourceException.Kind;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fetcher against a real loopback HTTP server. */
class UrlFetcherTest {
    private static final byte[] IMAGE = "not really an image, but bytes".getBytes();
    private static final UrlPolicy LOOPBACK = UrlPolicy.builder().allow("127.0.0.1").build();

    private LoopbackServer server;

    @BeforeEach
    void start() throws IOException {
        server = new LoopbackServer();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static UrlFetcher fetcher(UrlPolicy policy) {
        return UrlFetcher.builder().policy(policy).build();
    }

    private static void assertFails(Kind kind, String messagePart, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ImageSourceException.class,
                e -> assertThat(e.kind()).as(e.getMessage()).isEqualTo(kind)).hasMessageContaining(messagePart);
    }

    @Test
    void fetchesAnAllowListedUrl() throws IOException {
        server.bytes("/a.jpg", IMAGE);

        assertThat(fetcher(LOOPBACK).fetch(server.url("/a.jpg"))).isEqualTo(IMAGE);
    }

    @Test
    void refusesLoopbackByDefaultWithoutConnecting() {
        int[] hits = {0};
        server.on("/a.jpg", exchange -> {
            hits[0]++;
            LoopbackServer.send(exchange, 200, IMAGE);
        });

        assertFails(Kind.REFUSED, "127.0.0.0/8", () -> fetcher(UrlPolicy.defaults()).fetch(server.url("/a.jpg")));
        assertThat(hits[0]).isZero();
    }

    @Test
    void errorStatusNamesTheUrlWithoutItsQueryString() {
        server.on("/missing.jpg", exchange -> LoopbackServer.send(exchange, 403, "denied".getBytes()));
        URI presigned = server.url("/missing.jpg?X-Amz-Signature=topsecret&X-Amz-Credential=AKIAXYZ");

        assertThatThrownBy(() -> fetcher(LOOPBACK).fetch(presigned))
                .isInstanceOfSatisfying(ImageSourceException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND);
                    assertThat(e.source()).isEqualTo("http://127.0.0.1:" + server.port() + "/missing.jpg");
                })
                .hasMessageContaining("HTTP 403")
                .hasMessageNotContaining("topsecret")
                .hasMessageNotContaining("AKIAXYZ");
    }

    @Test
    void followsUpToThreeRedirects() throws IOException {
        server.bytes("/final.jpg", IMAGE)
                .redirect("/r1", 301, "/r2")
                .redirect("/r2", 302, "/r3")
                .redirect("/r3", 307, server.url("/final.jpg").toString())
                .redirect("/r0", 308, "/r1");

        assertThat(fetcher(LOOPBACK).fetch(server.url("/r1"))).isEqualTo(IMAGE);
        assertFails(Kind.NOT_FOUND, "redirected more than 3 times", () -> fetcher(LOOPBACK).fetch(server.url("/r0")));
    }

    @Test
    void checksEveryRedirectAgainstThePolicy() {
        // the host name is allowed, the loopback address it redirects to is not
        UrlPolicy localhostOnly = UrlPolicy.builder().allow("localhost").build();
        server.bytes("/secret", IMAGE).redirect("/hop", 302, server.url("/secret").toString());
        URI viaName = URI.create("http://localhost:" + server.port() + "/hop");

        assertFails(Kind.REFUSED, "127.0.0.1", () -> fetcher(localhostOnly).fetch(viaName));
    }

    @Test
    void refusesHostNamesResolvingToPrivateAddresses() throws UnknownHostException {
        byte[] mappedLoopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1};
        Map<String, InetAddress[]> dns = Map.of(
                "metadata.test", new InetAddress[] {InetAddress.getByName("169.254.169.254")},
                "mapped.test", new InetAddress[] {Inet6Address.getByAddress(null, mappedLoopback, -1)},
                "mixed.test", new InetAddress[] {InetAddress.getByName("8.8.8.8"), InetAddress.getByName("10.0.0.7")});
        UrlFetcher fetcher = UrlFetcher.builder().resolver(host -> {
            InetAddress[] addresses = dns.get(host);
            if (addresses == null) {
                throw new UnknownHostException(host);
            }
            return addresses;
        }).build();

        assertFails(Kind.REFUSED, "169.254.169.254", () -> fetcher.fetch(URI.create("http://metadata.test/latest/")));
        assertFails(Kind.REFUSED, "IPv4 address inside IPv6", () -> fetcher.fetch(URI.create("http://mapped.test/")));
        assertFails(Kind.REFUSED, "10.0.0.7", () -> fetcher.fetch(URI.create("https://mixed.test/a.jpg")));
        assertFails(Kind.UNAVAILABLE, "cannot resolve", () -> fetcher.fetch(URI.create("http://nowhere.test/")));
    }

    @Test
    void refusesNumericLoopbackSpellings() {
        UrlFetcher guard = fetcher(UrlPolicy.defaults());
        for (String host : new String[] {"2130706433", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0", "127.1"}) {
            URI url = URI.create("http://" + host + ":" + server.port() + "/a.jpg");
            // java.net.URI has no host for "2130706433" and "127.1"; the others resolve to blocked addresses
            assertFails(Kind.REFUSED, "", () -> guard.fetch(url));
        }
    }

    @Test
    void refusesDeclaredAndStreamedBodiesOverTheLimit() {
        byte[] big = new byte[4096];
        server.bytes("/declared.jpg", big).on("/chunked.jpg", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < 8; i++) {
                    out.write(big, 0, 1024);
                    out.flush();
                }
            }
        });
        UrlFetcher small = UrlFetcher.builder().policy(LOOPBACK).maxBytes(3000).build();

        assertFails(Kind.TOO_LARGE, "3000 bytes", () -> small.fetch(server.url("/declared.jpg")));
        assertFails(Kind.TOO_LARGE, "3000 bytes", () -> small.fetch(server.url("/chunked.jpg")));
    }

    @Test
    void stopsWaitingForASlowServerAtTheTimeout() {
        server.on("/slow.jpg", exchange -> server.stall());
        server.on("/drip.jpg", exchange -> {
            exchange.sendResponseHeaders(200, 1000);
            OutputStream out = exchange.getResponseBody();
            out.write(IMAGE, 0, 5);
            out.flush();
            server.stall();
        });
        UrlFetcher impatient = UrlFetcher.builder().policy(LOOPBACK).timeout(Duration.ofMillis(300)).build();

        long started = System.nanoTime();
        assertFails(Kind.TIMEOUT, "300 ms", () -> impatient.fetch(server.url("/slow.jpg")));
        assertFails(Kind.TIMEOUT, "300 ms", () -> impatient.fetch(server.url("/drip.jpg")));
        // bounded: two timeouts, not the server's 60 s stall
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void connectionRefusedIsUnavailable() throws IOException {
        // a socket bound but not listening: connections to its port are refused, and while it is held no
        // other program can take the port
        try (Socket bound = new Socket()) {
            bound.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            URI closedPort = URI.create("http://127.0.0.1:" + bound.getLocalPort() + "/a.jpg");

            assertFails(Kind.UNAVAILABLE, "connection refused", () -> fetcher(LOOPBACK).fetch(closedPort));
        }
    }

    @Test
    void sourceReadsLazilyAndIsNamedWithoutQuery() throws IOException {
        server.bytes("/lazy.jpg", IMAGE);
        ImageSource source = fetcher(LOOPBACK).source(server.url("/lazy.jpg?token=abc"));

        assertThat(source.name()).doesNotContain("token").endsWith("/lazy.jpg");
        assertThat(Arrays.equals(source.read(), IMAGE)).isTrue();
    }
}
