package io.omoib.vton.source;

import io.omoib.vton.source.ImageSourceException.Kind;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
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

    @Test
    void aClosedFetcherRefusesToFetch() throws IOException {
        server.bytes("/a.jpg", IMAGE);
        UrlFetcher closed;
        try (UrlFetcher fetcher = fetcher(LOOPBACK)) {
            assertThat(fetcher.fetch(server.url("/a.jpg"))).isEqualTo(IMAGE);
            closed = fetcher;
        }

        assertThatThrownBy(() -> closed.fetch(server.url("/a.jpg"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        closed.close();
    }

    @Test
    void runsNoMoreExchangesAtOnceThanItsConnectionsOnItsOwnThreads() throws Exception {
        Semaphore arrived = new Semaphore(0);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger atServer = new AtomicInteger();
        AtomicInteger mostAtServer = new AtomicInteger();
        server.on("/held.jpg", exchange -> {
            mostAtServer.accumulateAndGet(atServer.incrementAndGet(), Math::max);
            arrived.release();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            atServer.decrementAndGet();
            LoopbackServer.send(exchange, 200, IMAGE);
        });
        ExecutorService callers = Executors.newFixedThreadPool(5);
        try (UrlFetcher fetcher = UrlFetcher.builder().policy(LOOPBACK).maxConnections(2).build()) {
            List<Future<byte[]>> fetches = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                fetches.add(callers.submit(() -> fetcher.fetch(server.url("/held.jpg"))));
            }
            assertThat(arrived.tryAcquire(2, 30, TimeUnit.SECONDS)).as("two exchanges reach the server").isTrue();

            assertThat(fetcher.threadCount()).isEqualTo(2);
            release.countDown();
            for (Future<byte[]> fetch : fetches) {
                assertThat(fetch.get(30, TimeUnit.SECONDS)).isEqualTo(IMAGE);
            }
            assertThat(fetcher.threadCount()).isEqualTo(2);
            assertThat(mostAtServer).as("never more exchanges at once than connections").hasValue(2);
        } finally {
            release.countDown();
            callers.shutdownNow();
        }
    }

    @Test
    void reusesOneConnectionForFetchesFromOneServer() throws IOException {
        List<Integer> clientPorts = new ArrayList<>();
        server.on("/a.jpg", exchange -> {
            synchronized (clientPorts) {
                clientPorts.add(exchange.getRemoteAddress().getPort());
            }
            LoopbackServer.send(exchange, 200, IMAGE);
        });
        UrlFetcher fetcher = fetcher(LOOPBACK);
        try {
            fetcher.fetch(server.url("/a.jpg"));
            fetcher.fetch(server.url("/a.jpg"));
        } finally {
            fetcher.close();
        }

        synchronized (clientPorts) {
            assertThat(clientPorts).hasSize(2);
            assertThat(clientPorts.get(1)).isEqualTo(clientPorts.get(0));
        }
    }

    /**
     * Two servers on one port: 127.0.0.2, which the test policy allows, and 127.0.0.1, which it does
     * not. Each counts its requests.
     */
    private static final class TwoAddresses implements AutoCloseable {
        final LoopbackServer judged;
        final LoopbackServer loopback;
        final AtomicInteger judgedHits = new AtomicInteger();
        final AtomicInteger loopbackHits = new AtomicInteger();

        TwoAddresses() throws IOException {
            LoopbackServer[] pair = null;
            // the port is held on 127.0.0.2 while 127.0.0.1 binds it; another program may hold it there
            for (int attempt = 0; attempt < 20 && pair == null; attempt++) {
                LoopbackServer first = new LoopbackServer(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
                try {
                    pair = new LoopbackServer[] {first, new LoopbackServer(
                            new InetSocketAddress(InetAddress.getByName("127.0.0.1"), first.port()))};
                } catch (BindException e) {
                    first.close();
                }
            }
            assertThat(pair).as("a port free on both 127.0.0.2 and 127.0.0.1").isNotNull();
            judged = pair[0];
            loopback = pair[1];
            judged.on("/", exchange -> {
                judgedHits.incrementAndGet();
                LoopbackServer.send(exchange, 200, IMAGE);
            });
            loopback.on("/", exchange -> {
                loopbackHits.incrementAndGet();
                LoopbackServer.send(exchange, 200, "from 127.0.0.1".getBytes(StandardCharsets.UTF_8));
            });
        }

        URI url(String host, String path) {
            return URI.create("http://" + host + ":" + judged.port() + path);
        }

        @Override
        public void close() {
            judged.close();
            loopback.close();
        }
    }

    private static final UrlPolicy ONLY_127_0_0_2 = UrlPolicy.builder().allow("127.0.0.2").build();

    @Test
    void connectsToTheAddressItJudgedWhenTheNameRebinds() throws IOException {
        // each name answers 127.0.0.2 the first time it is looked up and 127.0.0.1 every time after
        Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();
        UrlFetcher.Resolver rebinding = host -> new InetAddress[] {InetAddress.getByName(
                lookups.computeIfAbsent(host, h -> new AtomicInteger()).getAndIncrement() == 0 ? "127.0.0.2" : "127.0.0.1")};
        UrlFetcher fetcher = UrlFetcher.builder().policy(ONLY_127_0_0_2).resolver(rebinding).build();
        int n = 20;
        try (TwoAddresses servers = new TwoAddresses()) {
            for (int i = 0; i < n; i++) {
                URI url = servers.url("rebind-" + i + ".test", "/a.jpg");

                assertThat(fetcher.fetch(url)).as("fetch %d", i).isEqualTo(IMAGE);
                assertFails(Kind.REFUSED, "127.0.0.1 is in 127.0.0.0/8", () -> fetcher.fetch(url));
            }

            assertThat(servers.judgedHits.get()).isEqualTo(n);
            assertThat(servers.loopbackHits.get()).isZero();
            assertThat(lookups.values()).hasSize(n).allSatisfy(count -> assertThat(count.get()).isEqualTo(2));
        } finally {
            fetcher.close();
        }
    }

    @Test
    void refusesARedirectToANameResolvingToLoopback() throws IOException {
        Map<String, String> dns = Map.of("images.test", "127.0.0.2", "internal.test", "127.0.0.1");
        UrlFetcher fetcher = UrlFetcher.builder().policy(ONLY_127_0_0_2)
                .resolver(host -> new InetAddress[] {InetAddress.getByName(dns.get(host))}).build();
        try (TwoAddresses servers = new TwoAddresses()) {
            servers.judged.redirect("/hop", 302, servers.url("internal.test", "/secret").toString());

            assertThatThrownBy(() -> fetcher.fetch(servers.url("images.test", "/hop?token=abc")))
                    .isInstanceOfSatisfying(ImageSourceException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.REFUSED);
                        assertThat(e.source()).isEqualTo("http://images.test:" + servers.judged.port() + "/hop");
                    })
                    .hasMessageContaining("127.0.0.1 is in 127.0.0.0/8")
                    .hasMessageContaining("after a redirect to http://internal.test:" + servers.judged.port());
            assertThat(servers.loopbackHits.get()).isZero();
        } finally {
            fetcher.close();
        }
    }

    @Test
    void errorsDoNotQuoteWhatTheServerSent() throws Exception {
        byte[] secret = "SECRET-7f3a internal body".getBytes(StandardCharsets.UTF_8);
        server.on("/denied.jpg", exchange -> LoopbackServer.send(exchange, 500, secret));
        assertThatThrownBy(() -> fetcher(LOOPBACK).fetch(server.url("/denied.jpg")))
                .isInstanceOfSatisfying(ImageSourceException.class, e -> assertThat(e.kind()).isEqualTo(Kind.NOT_FOUND))
                .hasMessageContaining("HTTP 500")
                .satisfies(UrlFetcherTest::quotesNoSecret);

        // a server that answers something other than HTTP: parsers quote the line they could not parse
        try (ServerSocket raw = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            ExecutorService acceptor = Executors.newSingleThreadExecutor();
            try {
                Future<?> answered = acceptor.submit(() -> {
                    try (Socket socket = raw.accept()) {
                        socket.setSoTimeout(10_000);
                        readHeaders(socket.getInputStream());
                        socket.getOutputStream().write("SECRET-7f3a garbage\r\nSECRET-7f3a: more\r\n\r\n"
                                .getBytes(StandardCharsets.UTF_8));
                    }
                    return null;
                });
                URI url = URI.create("http://127.0.0.1:" + raw.getLocalPort() + "/a.jpg");

                assertThatThrownBy(() -> fetcher(LOOPBACK).fetch(url))
                        .isInstanceOfSatisfying(ImageSourceException.class,
                                e -> assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE))
                        .hasMessageContaining("not valid HTTP")
                        .satisfies(UrlFetcherTest::quotesNoSecret);
                answered.get(10, TimeUnit.SECONDS);
            } finally {
                acceptor.shutdownNow();
            }
        }
    }

    @Test
    void httpsToAServerWithoutTlsFailsTheHandshake() throws Exception {
        try (ServerSocket raw = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            ExecutorService acceptor = Executors.newSingleThreadExecutor();
            try {
                Future<?> answered = acceptor.submit(() -> {
                    try (Socket socket = raw.accept()) {
                        socket.setSoTimeout(10_000);
                        socket.getOutputStream().write("SECRET-7f3a not TLS\r\n\r\n".getBytes(StandardCharsets.UTF_8));
                        // until the client gives up: closing with its hello unread would reset the connection
                        socket.getInputStream().readAllBytes();
                    }
                    return null;
                });
                URI https = URI.create("https://127.0.0.1:" + raw.getLocalPort() + "/a.jpg");

                assertThatThrownBy(() -> fetcher(LOOPBACK).fetch(https))
                        .isInstanceOfSatisfying(ImageSourceException.class,
                                e -> assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE))
                        .hasMessageContaining("TLS handshake failed")
                        .satisfies(UrlFetcherTest::quotesNoSecret);
                answered.get(10, TimeUnit.SECONDS);
            } finally {
                acceptor.shutdownNow();
            }
        }
    }

    private static void quotesNoSecret(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain("SECRET");
        }
    }

    /** Reads a request's header block, up to its blank line. */
    private static void readHeaders(InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        for (int i = 0; i < 65536 && matched < 4; i++) {
            int b = in.read();
            if (b < 0) {
                return;
            }
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }

    @Test
    void holdsNoMoreConnectionsThanItsPool() throws IOException {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc");
        // load the client's classes (their jars stay open) before counting
        UrlFetcher warmUp = fetcher(LOOPBACK);
        server.bytes("/a.jpg", IMAGE);
        warmUp.fetch(server.url("/a.jpg"));
        warmUp.close();
        int pool = 20;
        long before = openFiles();

        UrlFetcher fetcher = fetcher(LOOPBACK);
        List<LoopbackServer> servers = new ArrayList<>();
        long held;
        long afterFetches;
        try {
            Set<Integer> ports = new HashSet<>();
            for (int i = 0; i < 50; i++) {
                LoopbackServer s = new LoopbackServer().bytes("/a.jpg", IMAGE);
                servers.add(s);
                ports.add(s.port());
            }
            for (LoopbackServer s : servers) {
                assertThat(fetcher.fetch(s.url("/a.jpg"))).isEqualTo(IMAGE);
            }
            held = connectionsTo(ports);
            // stopping a server closes its side of every connection before it returns
            servers.forEach(LoopbackServer::close);
            afterFetches = openFiles();
        } finally {
            servers.forEach(LoopbackServer::close);
            fetcher.close();
        }
        long afterClose = openFiles();

        assertThat(held).as("connections the client holds to 50 servers").isBetween(1L, (long) pool);
        assertThat(afterFetches - before).as("open files: %d before, %d after 50 fetches", before, afterFetches)
                .isLessThanOrEqualTo(pool + 4);
        assertThat(afterClose - before).as("open files: %d before, %d after close", before, afterClose)
                .isLessThanOrEqualTo(4);
    }

    private static long openFiles() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /** @return this process's TCP sockets whose far end is one of the ports */
    private static long connectionsTo(Set<Integer> ports) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed while listing
                }
            }
        }
        long count = 0;
        for (String table : new String[] {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
            if (!Files.exists(Path.of(table))) {
                continue;
            }
            List<String> lines = Files.readAllLines(Path.of(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                String remote = f[2];
                int port = Integer.parseInt(remote.substring(remote.indexOf(':') + 1), 16);
                if (inodes.contains(f[9]) && ports.contains(port)) {
                    count++;
                }
            }
        }
        return count;
    }
}
