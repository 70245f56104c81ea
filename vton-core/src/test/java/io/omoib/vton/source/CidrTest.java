package io.omoib.vton.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

class CidrTest {
    private static byte[] bytes(String address) throws UnknownHostException {
        return InetAddress.getByName(address).getAddress();
    }

    @Test
    void containsChecksThePrefixBitByBit() throws UnknownHostException {
        Cidr benchmarking = Cidr.parse("198.18.0.0/15");
        Cidr protocols = Cidr.parse("2001::/23");

        assertThat(benchmarking.contains(bytes("198.19.255.255"))).isTrue();
        assertThat(benchmarking.contains(bytes("198.20.0.0"))).isFalse();
        assertThat(benchmarking.contains(bytes("198.17.255.255"))).isFalse();
        assertThat(protocols.contains(bytes("2001:1ff:ffff::1"))).isTrue();
        assertThat(protocols.contains(bytes("2001:200::"))).isFalse();
        assertThat(protocols.contains(bytes("198.19.0.1"))).as("an IPv6 block never holds an IPv4 address").isFalse();
    }

    @Test
    void unwrapsEveryIpv4InIpv6Form() throws UnknownHostException {
        byte[] expected = {10, 1, 2, 3};

        assertThat(Cidr.embeddedIpv4(bytes("::a01:203"))).as("IPv4-compatible").containsExactly(expected);
        assertThat(Cidr.embeddedIpv4(bytes("64:ff9b::a01:203"))).as("NAT64").containsExactly(expected);
        assertThat(Cidr.embeddedIpv4(bytes("64:ff9b:1::a01:203"))).as("local-use NAT64").containsExactly(expected);
        assertThat(Cidr.embeddedIpv4(bytes("64:ff9b:1:ab:cd::a01:203"))).as("local-use NAT64, /96 inside the /48")
                .containsExactly(expected);
        assertThat(Cidr.embeddedIpv4(bytes("::ffff:0:a01:203"))).as("SIIT").containsExactly(expected);
        assertThat(Cidr.embeddedIpv4(bytes("2002:a01:203::1"))).as("6to4").containsExactly(expected);
        assertThat(Cidr.embeddedIpv4(bytes("2606:4700::a01:203"))).as("an ordinary IPv6 address").isNull();
        assertThat(Cidr.embeddedIpv4(bytes("64:ff9b:2::a01:203"))).as("outside 64:ff9b:1::/48").isNull();
        assertThat(Cidr.embeddedIpv4(expected)).as("IPv4 itself").isNull();
    }

    @Test
    void parsesLiteralsOnlyAndNamesTheBlock() {
        assertThat(Cidr.parse("64:ff9b:1::/48")).hasToString("64:ff9b:1:0:0:0:0:0/48");
        assertThat(Cidr.parse("192.0.2.0/24")).hasToString("192.0.2.0/24");
        assertThat(Cidr.isAddressLiteral("localhost")).isFalse();
        assertThatThrownBy(() -> Cidr.parse("192.0.2.0/33")).hasMessageContaining("prefix length");
        assertThatThrownBy(() -> Cidr.parse("example.com/24")).hasMessageContaining("not a CIDR block");
    }
}
