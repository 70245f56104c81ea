package io.omoib.vton.examples;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A loopback HTTP server standing in for presigned S3 URLs: serves byte arrays by path; paths under
 * {@code /gated/} wait for {@link #open()} first.
 */
final class FileServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, String> redirects = new ConcurrentHashMap<>();
    private final CountDownLatch gate = new CountDownLatch(1);
    final CountDownLatch gatedRequestArrived = new CountDownLatch(1);

    FileServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                if (path.startsWith("/gated/")) {
                    gatedRequestArrived.countDown();
                    gate.await(60, TimeUnit.SECONDS);
                    path = path.substring("/gated".length());
                }
                String location = redirects.get(path);
                if (location != null) {
                    exchange.getResponseHeaders().set("Location", location);
                    exchange.sendResponseHeaders(302, -1);
                    return;
                }
                byte[] body = files.get(path);
                if (body == null) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            } catch (InterruptedException | IOException e) {
                // the test ended or the client went away
            }
        });
        server.start();
    }

    FileServer put(String path, byte[] body) {
        files.put(path, body);
        return this;
    }

    FileServer redirect(String path, String location) {
        redirects.put(path, location);
        return this;
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** Lets requests under {@code /gated/} through. */
    void open() {
        gate.countDown();
    }

    @Override
    public void close() {
        gate.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
