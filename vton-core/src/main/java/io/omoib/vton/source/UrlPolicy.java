package io.omoib.vton.source;

import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which URLs a server may fetch images from: a guard against server-side request forgery, on by
 * default. Only {@code http} and {@code https} URLs pass, and only when every address their host
 * resolves to is a public unicast address. Refused: loopback ({@code 127.0.0.0/8}, {@code ::1}),
 * private ({@code 10/8}, {@code 172.16/12}, {@code 192.168/16}, {@code 100.64/10}, {@code fc00::/7}),
 * link-local ({@code 169.254/16}, which holds the cloud metadata service {@code 169.254.169.254}, and
 * {@code fe80::/10}), multicast, unspecified, broadcast and reserved addresses, and IPv6 forms that
 * embed any of them (IPv4-mapped, IPv4-compatible, NAT64 {@code 64:ff9b::/96}, 6to4 {@code 2002::/16}).
 *
 * <p>An allow-list opens the guard for tests and private deployments: a host name (exact, ignoring
 * case) lets that host through whatever it resolves to; a CIDR block ({@code 10.0.0.0/8},
 * {@code 127.0.0.1}, {@code fd00::/8}) lets those addresses through. Immutable; build with
 * {@link #builder()}.
 */
public final class UrlPolicy {
    private static final UrlPolicy DEFAULT = builder().build();

    /** Blocks checked against every resolved address, after unwrapping embedded IPv4 addresses. */
    private static final List<Cidr> BLOCKED = List.of(
            Cidr.parse("0.0.0.0/8"),          // "this network", unspecified
            Cidr.parse("10.0.0.0/8"),         // RFC 1918
            Cidr.parse("100.64.0.0/10"),      // carrier-grade NAT, private in practice
            Cidr.parse("127.0.0.0/8"),        // loopback
            Cidr.parse("169.254.0.0/16"),     // link-local, cloud metadata
            Cidr.parse("172.16.0.0/12"),      // RFC 1918
            Cidr.parse("192.0.0.0/24"),       // IETF protocol assignments
            Cidr.parse("192.168.0.0/16"),     // RFC 1918
            Cidr.parse("198.18.0.0/15"),      // benchmarking
            Cidr.parse("224.0.0.0/4"),        // multicast
            Cidr.parse("240.0.0.0/4"),        // reserved and broadcast
            Cidr.parse("::/128"),             // unspecified
            Cidr.parse("::1/128"),            // loopback
            Cidr.parse("fc00::/7"),           // unique local
            Cidr.parse("fe80::/10"),          // link-local
            Cidr.parse("fec0::/10"),          // deprecated site-local
            Cidr.parse("ff00::/8"));          // multicast

    private final Set<String> allowedHosts;
    private final List<Cidr> allowedNetworks;

    private UrlPolicy(Builder b) {
        this.allowedHosts = Set.copyOf(b.hosts);
        this.allowedNetworks = List.copyOf(b.networks);
    }

    /** @return the guard with nothing allowed beyond public addresses */
    public static UrlPolicy defaults() {
        return DEFAULT;
    }

    /** @return a builder with the guard on and an empty allow-list */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Checks what can be judged without resolving the host: the scheme and the presence of a host.
     *
     * @param uri the URL
     * @throws ImageSourceException with {@link ImageSourceException.Kind#REFUSED} naming the URL
     */
    public void checkUrl(URI uri) throws ImageSourceException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new ImageSourceException(ImageSourceException.Kind.REFUSED, uri,
                    "only http and https URLs are fetched, not '" + scheme + "'");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new ImageSourceException(ImageSourceException.Kind.REFUSED, uri,
                    "the URL has no host name (is it percent-encoded or malformed?)");
        }
    }

    /** @return whether the host name is on the allow-list, which lets it through whatever it resolves to */
    boolean allowsHost(String host) {
        return allowedHosts.contains(normalizeHost(host));
    }

    /**
     * @param address a resolved address
     * @return why the address is refused, or {@code null} when it may be connected to
     */
    String refusal(InetAddress address) {
        for (Cidr allowed : allowedNetworks) {
            if (allowed.contains(address.getAddress())) {
                return null;
            }
        }
        byte[] bytes = address.getAddress();
        byte[] embedded = Cidr.embeddedIpv4(bytes);
        for (Cidr blocked : BLOCKED) {
            if (blocked.contains(bytes) || (embedded != null && blocked.contains(embedded))) {
                return address.getHostAddress() + " is in " + blocked + ", which is not public"
                        + (embedded != null ? " (an IPv4 address inside IPv6)" : "");
            }
        }
        return null;
    }

    private static String normalizeHost(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    @Override
    public String toString() {
        List<String> allowed = new ArrayList<>(new TreeSet<>(allowedHosts));
        allowedNetworks.forEach(c -> allowed.add(c.toString()));
        return "UrlPolicy[public addresses" + (allowed.isEmpty() ? "" : " and " + String.join(", ", allowed)) + "]";
    }

    /** Builds a {@link UrlPolicy}. */
    public static final class Builder {
        private final Set<String> hosts = new TreeSet<>();
        private final List<Cidr> networks = new ArrayList<>();

        private Builder() {
        }

        /**
         * Allows a host name or a block of addresses.
         *
         * @param hostOrCidr a host name ({@code files.internal}), an address ({@code 127.0.0.1},
         *     {@code ::1}) or a CIDR block ({@code 10.0.0.0/8}, {@code fd00::/8})
         * @return this builder
         * @throws IllegalArgumentException if it is blank or a malformed CIDR block
         */
        public Builder allow(String hostOrCidr) {
            String entry = hostOrCidr == null ? "" : hostOrCidr.strip();
            if (entry.isEmpty()) {
                throw new IllegalArgumentException("an allow-list entry must be a host name or a CIDR block, got '"
                        + hostOrCidr + "'");
            }
            if (entry.contains("/") || Cidr.isAddressLiteral(entry)) {
                networks.add(Cidr.parse(entry));
            } else {
                hosts.add(normalizeHost(entry));
            }
            return this;
        }

        /**
         * Allows each entry of a comma-separated list, such as the value of {@code VTON_URL_ALLOW}.
         *
         * @param commaSeparated entries as for {@link #allow(String)}; blank entries are skipped
         * @return this builder
         */
        public Builder allowAll(String commaSeparated) {
            for (String entry : commaSeparated.split(",")) {
                if (!entry.isBlank()) {
                    allow(entry);
                }
            }
            return this;
        }

        /** @return the policy */
        public UrlPolicy build() {
            return new UrlPolicy(this);
        }
    }
}
