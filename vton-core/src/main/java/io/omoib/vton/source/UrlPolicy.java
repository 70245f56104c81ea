package io.omoib.vton.source;

import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Which URLs a server may fetch images from: a guard against server-side request forgery, on by
 * default. Only {@code http} and {@code https} URLs pass, and only when every address their host
 * resolves to is a public unicast address. Refused: loopback ({@code 127.0.0.0/8}, {@code ::1}),
 * private ({@code 10/8}, {@code 172.16/12}, {@code 192.168/16}, {@code 100.64/10}, {@code fc00::/7}),
 * link-local ({@code 169.254/16}, which holds the cloud metadata service {@code 169.254.169.254}, and
 * {@code fe80::/10}), multicast, unspecified, broadcast and reserved addresses, every other range the
 * IANA special-purpose registries mark as not globally reachable (documentation {@code 192.0.2/24},
 * {@code 198.51.100/24}, {@code 203.0.113/24}, {@code 2001:db8::/32}, {@code 3fff::/20};
 * benchmarking {@code 198.18/15}; 6to4 relays {@code 192.88.99/24}; local-use NAT64
 * {@code 64:ff9b:1::/48}; SIIT {@code ::ffff:0:0:0/96}; Teredo {@code 2001::/32} and the rest of
 * {@code 2001::/23}; discard-only {@code 100::/64}; SRv6 {@code 5f00::/16}), and IPv6 forms that embed
 * a refused IPv4 address (IPv4-mapped, IPv4-compatible, NAT64 {@code 64:ff9b::/96}, 6to4
 * {@code 2002::/16}, whose public embedded addresses pass, and local-use NAT64 and SIIT, refused
 * whatever they embed).
 *
 * <p>An allow-list opens the guard for tests and private deployments: a host name (exact, ignoring
 * case) lets that host through whatever it resolves to; a CIDR block ({@code 10.0.0.0/8},
 * {@code 127.0.0.1}, {@code fd00::/8}) lets those addresses through. Build with {@link #builder()}.
 *
 * <p>Thread safety: immutable and thread-safe.
 */
public final class UrlPolicy {
    private static final UrlPolicy DEFAULT = builder().build();

    /**
     * Blocks checked against every resolved address, and against the IPv4 address an IPv6 one embeds:
     * every entry of the IANA IPv4 and IPv6 special-purpose address registries that is not globally
     * reachable, plus multicast. IPv4 blocks come first, so an embedded private address is named by its
     * own block.
     */
    private static final List<Cidr> BLOCKED = List.of(
            Cidr.parse("0.0.0.0/8"),          // "this network", unspecified
            Cidr.parse("10.0.0.0/8"),         // RFC 1918
            Cidr.parse("100.64.0.0/10"),      // carrier-grade NAT, private in practice
            Cidr.parse("127.0.0.0/8"),        // loopback
            Cidr.parse("169.254.0.0/16"),     // link-local, cloud metadata
            Cidr.parse("172.16.0.0/12"),      // RFC 1918
            Cidr.parse("192.0.0.0/24"),       // IETF protocol assignments (DS-Lite, NAT64 discovery)
            Cidr.parse("192.0.2.0/24"),       // documentation, TEST-NET-1
            Cidr.parse("192.88.99.0/24"),     // deprecated 6to4 relay anycast
            Cidr.parse("192.168.0.0/16"),     // RFC 1918
            Cidr.parse("198.18.0.0/15"),      // benchmarking
            Cidr.parse("198.51.100.0/24"),    // documentation, TEST-NET-2
            Cidr.parse("203.0.113.0/24"),     // documentation, TEST-NET-3
            Cidr.parse("224.0.0.0/4"),        // multicast
            Cidr.parse("240.0.0.0/4"),        // reserved and broadcast
            Cidr.parse("::/128"),             // unspecified
            Cidr.parse("::1/128"),            // loopback
            Cidr.parse("::ffff:0:0:0/96"),    // SIIT IPv4-translated addresses
            Cidr.parse("64:ff9b:1::/48"),     // local-use NAT64 (RFC 8215)
            Cidr.parse("100::/64"),           // discard-only
            Cidr.parse("100:0:0:1::/64"),     // dummy IPv6 prefix
            Cidr.parse("2001::/32"),          // Teredo
            Cidr.parse("2001::/23"),          // IETF protocol assignments (benchmarking 2001:2::/48, ORCHID)
            Cidr.parse("2001:db8::/32"),      // documentation
            Cidr.parse("3fff::/20"),          // documentation
            Cidr.parse("5f00::/16"),          // segment routing (SRv6) SIDs
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

    /** {@return the guard with nothing allowed beyond public addresses} */
    public static UrlPolicy defaults() {
        return DEFAULT;
    }

    /** {@return a builder with the guard on and an empty allow-list} */
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
        String refusal = urlRefusal(uri);
        if (refusal != null) {
            throw new ImageSourceException(ImageSourceException.Kind.REFUSED, uri, refusal);
        }
    }

    /** {@return why the URL is refused before its host is resolved, or {@code null}} */
    String urlRefusal(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return "only http and https URLs are fetched, not '" + scheme + "'";
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            return "the URL has no host name (is it percent-encoded or malformed?)";
        }
        if (ambiguousIpv4(normalizeHost(uri.getHost()))) {
            return "the host " + uri.getHost() + " is an IPv4 address in a spelling that programs read differently "
                    + "(leading zeros, hexadecimal, or fewer than four numbers); write it as four decimal numbers, "
                    + "such as 203.0.113.7";
        }
        return null;
    }

    /** A host label that some resolvers read as a number: decimal, octal with a leading zero, or hexadecimal. */
    private static final Pattern NUMBER = Pattern.compile("[0-9]+|0[xX][0-9a-fA-F]*");
    /** A part of an IPv4 address as every program reads it the same way: decimal, no leading zero. */
    private static final Pattern PLAIN_OCTET = Pattern.compile("0|[1-9][0-9]{0,2}");

    /**
     * Tells IPv4 addresses in ambiguous spellings apart.
     *
     * @return whether the host is made of numbers only (decimal, octal with a leading zero, or hexadecimal)
     *     without being four plain decimal numbers up to 255: {@code 0177.0.0.1} is 127.0.0.1 to some
     *     resolvers and 177.0.0.1 to others
     */
    private static boolean ambiguousIpv4(String host) {
        String[] parts = host.split("\\.", -1);
        for (String part : parts) {
            if (!NUMBER.matcher(part).matches()) {
                return false; // a name, or an IPv6 literal
            }
        }
        if (parts.length != 4) {
            return true;
        }
        for (String part : parts) {
            if (!PLAIN_OCTET.matcher(part).matches() || Integer.parseInt(part) > 255) {
                return true;
            }
        }
        return false;
    }

    /** {@return whether the host name is on the allow-list, which lets it through whatever it resolves to} */
    boolean allowsHost(String host) {
        return allowedHosts.contains(normalizeHost(host));
    }

    /**
     * {@return why the address is refused, or {@code null} when it may be connected to}
     *
     * @param address a resolved address
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
            if (embedded != null && blocked.contains(embedded)) {
                return address.getHostAddress() + " carries an IPv4 address in " + blocked
                        + ", which is not public (an IPv4 address inside IPv6)";
            }
            if (blocked.contains(bytes)) {
                return address.getHostAddress() + " is in " + blocked + ", which is not public";
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

    /** Builds a {@link UrlPolicy}. Not thread-safe: configure it on one thread, then build. */
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

        /** {@return the policy} */
        public UrlPolicy build() {
            return new UrlPolicy(this);
        }
    }
}
