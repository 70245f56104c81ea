package io.omoib.vton.source;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/** A block of IPv4 or IPv6 addresses, {@code address/prefixLength}, parsed without DNS. */
final class Cidr {
    private static final byte[] NAT64_PREFIX = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] LOCAL_NAT64_PREFIX = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 1};
    private static final byte[] SIIT_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 0, 0};

    private final byte[] network;
    private final int prefixLength;

    private Cidr(byte[] network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /**
     * Parses a block of addresses, without DNS.
     *
     * @param text {@code 10.0.0.0/8}, {@code fd00::/8}, or a single address
     * @throws IllegalArgumentException if it is not an IP literal with a valid prefix length
     */
    static Cidr parse(String text) {
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        byte[] bytes = literal(address);
        if (bytes == null) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR block such as 10.0.0.0/8 or fd00::/8");
        }
        int length = bytes.length * 8;
        if (slash >= 0) {
            try {
                length = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                length = -1;
            }
            if (length < 0 || length > bytes.length * 8) {
                throw new IllegalArgumentException("'" + text + "' has a prefix length outside 0-" + bytes.length * 8);
            }
        }
        return new Cidr(bytes, length);
    }

    /** {@return whether a host is an IPv4 or IPv6 address literal rather than a name} */
    static boolean isAddressLiteral(String text) {
        return literal(text) != null;
    }

    /** Parses dotted-quad IPv4 or IPv6 text; never resolves names. */
    private static byte[] literal(String text) {
        String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        if (t.contains(":")) {
            return ipv6(t);
        }
        String[] parts = t.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            if (!parts[i].matches("\\d{1,3}") || Integer.parseInt(parts[i]) > 255) {
                return null;
            }
            bytes[i] = (byte) Integer.parseInt(parts[i]);
        }
        return bytes;
    }

    private static byte[] ipv6(String text) {
        if (!text.matches("[0-9a-fA-F:.]+")) {
            return null;
        }
        try {
            // an IP literal with only hex digits, colons and dots is parsed locally, with no lookup
            byte[] bytes = InetAddress.getByName("[" + text + "]").getAddress();
            return bytes.length == 16 ? bytes : mapped(bytes);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static byte[] mapped(byte[] ipv4) {
        byte[] bytes = new byte[16];
        bytes[10] = (byte) 0xff;
        bytes[11] = (byte) 0xff;
        System.arraycopy(ipv4, 0, bytes, 12, 4);
        return bytes;
    }

    /**
     * {@return whether the address lies in this block (an IPv4 block never holds an IPv6 address)}
     *
     * @param address 4 or 16 bytes
     */
    boolean contains(byte[] address) {
        if (address.length != network.length) {
            return false;
        }
        int full = prefixLength / 8;
        for (int i = 0; i < full; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int rest = prefixLength % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (address[full] & mask) == (network[full] & mask);
    }

    /**
     * {@return the IPv4 address an IPv6 address carries (IPv4-mapped {@code ::ffff:a.b.c.d}, IPv4-compatible
     * {@code ::a.b.c.d}, NAT64 {@code 64:ff9b::a.b.c.d}, local-use NAT64 {@code 64:ff9b:1:...:a.b.c.d} in its last
     * 32 bits (a /96 translation prefix), SIIT {@code ::ffff:0:a.b.c.d}, 6to4 {@code 2002:aabb:ccdd::}), or {@code
     * null}}
     *
     * @param address 4 or 16 bytes
     */
    static byte[] embeddedIpv4(byte[] address) {
        if (address.length != 16) {
            return null;
        }
        boolean zeros = true;
        for (int i = 0; i < 10; i++) {
            zeros &= address[i] == 0;
        }
        boolean mapped = zeros && address[10] == (byte) 0xff && address[11] == (byte) 0xff;
        boolean compatible = zeros && address[10] == 0 && address[11] == 0;
        if (mapped || compatible || Arrays.equals(address, 0, 12, NAT64_PREFIX, 0, 12)
                || Arrays.equals(address, 0, 6, LOCAL_NAT64_PREFIX, 0, 6)
                || Arrays.equals(address, 0, 12, SIIT_PREFIX, 0, 12)) {
            return Arrays.copyOfRange(address, 12, 16);
        }
        if (address[0] == 0x20 && address[1] == 0x02) {
            return Arrays.copyOfRange(address, 2, 6);
        }
        return null;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefixLength;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
