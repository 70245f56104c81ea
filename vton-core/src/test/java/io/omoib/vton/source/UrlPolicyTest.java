package io.omoib.vton.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class UrlPolicyTest {
    private static final UrlPolicy GUARD = UrlPolicy.defaults();

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255",
            "192.168.1.1", "169.254.169.254", "169.254.0.1", "0.0.0.0", "100.64.0.1", "224.0.0.1",
            "255.255.255.255", "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1",
            "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "::7f00:1",
            // the rest of the IANA special-purpose registries that is not globally reachable
            "192.0.0.9", "192.0.2.1", "192.0.2.255", "198.51.100.7", "203.0.113.9", "192.88.99.1", "198.18.0.1",
            "198.19.255.255", "240.0.0.1", "0.1.2.3", "64:ff9b:1::808:808", "64:ff9b:1:ffff::1", "::ffff:0:808:808",
            "2001:db8::1", "2001:db8:ffff::1", "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:2::1",
            "2001:10::1", "2001:1ff::1", "100::1", "100::ffff:ffff:ffff:ffff", "100:0:0:1::1", "3fff::1",
            "5f00::1", "fec0::1"})
    void refusesAddressesThatAreNotPublic(String address) throws UnknownHostException {
        assertThat(GUARD.refusal(InetAddress.getByName(address))).as(address).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"0177.0.0.1", "0x7f.0.0.1", "0x7f000001", "2130706433", "127.1", "127.0.1",
            "010.0.0.1", "1.2.3.256", "1.2.3.4.5", "08.8.8.8"})
    void refusesIpv4AddressesSpelledSoThatProgramsReadThemDifferently(String host) {
        // java.net.URI finds no host in some of these; the others are refused for their spelling
        assertThat(GUARD.urlRefusal(URI.create("http://" + host + "/x.jpg"))).as(host)
                .containsAnyOf("four decimal numbers", "no host name");
        assertThat(GUARD.urlRefusal(URI.create("http://0177.0.0.1/x.jpg"))).contains("four decimal numbers");
    }

    @ParameterizedTest
    @ValueSource(strings = {"203.0.113.7", "8.8.8.8", "0.0.0.0", "1.example.com", "123.45.67.89.nip.io", "[::1]",
            "images.example.com."})
    void leavesPlainAddressesAndNamesToTheResolvedAddressCheck(String host) {
        assertThat(GUARD.urlRefusal(URI.create("http://" + host + "/x.jpg"))).as(host).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "52.95.110.1",
            "2606:4700:4700::1111", "2a00:1450:4001::200e",
            // just outside the special-purpose ranges
            "192.0.1.255", "192.0.3.0", "198.51.99.255", "198.51.101.0", "203.0.112.255", "203.0.114.0",
            "192.88.98.255", "192.88.100.0", "198.17.255.255", "198.20.0.0", "223.255.255.255",
            "2001:200::1", "2001:4860:4860::8888", "2001:db9::1", "2001:db7:ffff::1", "100:0:0:2::1",
            "64:ff9b:2::1", "3fff:1000::1", "5f01::1"})
    void letsPublicAddressesThrough(String address) throws UnknownHostException {
        assertThat(GUARD.refusal(InetAddress.getByName(address))).as(address).isNull();
    }

    @Test
    void refusesIpv4MappedIpv6FormsOfBlockedAddresses() throws UnknownHostException {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = (byte) 169;
        mapped[13] = (byte) 254;
        mapped[14] = (byte) 169;
        mapped[15] = (byte) 254;
        // Inet6Address keeps the IPv6 form that InetAddress.getByAddress would turn into IPv4
        InetAddress address = Inet6Address.getByAddress(null, mapped, -1);

        assertThat(GUARD.refusal(address)).contains("169.254.0.0/16").contains("IPv4 address inside IPv6");
    }

    @Test
    void allowListOpensCidrBlocksAndHostNames() throws UnknownHostException {
        UrlPolicy policy = UrlPolicy.builder().allowAll("127.0.0.1, 10.0.0.0/8 ,files.internal.").build();

        assertThat(policy.refusal(InetAddress.getByName("127.0.0.1"))).isNull();
        assertThat(policy.refusal(InetAddress.getByName("127.0.0.2"))).isNotNull();
        assertThat(policy.refusal(InetAddress.getByName("10.200.0.1"))).isNull();
        assertThat(policy.refusal(InetAddress.getByName("192.168.0.1"))).isNotNull();
        assertThat(policy.allowsHost("FILES.internal")).isTrue();
        assertThat(policy.allowsHost("other.internal")).isFalse();
        assertThat(policy.toString()).contains("files.internal", "10.0.0.0/8");
    }

    @Test
    void refusesSchemesOtherThanHttpAndHttps() {
        for (String url : new String[] {"file:///etc/passwd", "ftp://example.com/a.jpg", "gopher://example.com/",
                "jar:file:/x.jar!/a.png"}) {
            assertThatThrownBy(() -> GUARD.checkUrl(URI.create(url))).as(url)
                    .isInstanceOfSatisfying(ImageSourceException.class,
                            e -> assertThat(e.kind()).isEqualTo(ImageSourceException.Kind.REFUSED))
                    .hasMessageContaining("only http and https");
        }
    }

    @Test
    void malformedAllowListEntriesAreRejected() {
        assertThatThrownBy(() -> UrlPolicy.builder().allow("10.0.0.0/33"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prefix length");
        assertThatThrownBy(() -> UrlPolicy.builder().allow("10.0.0/8"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a CIDR block");
        assertThatThrownBy(() -> UrlPolicy.builder().allow(" "))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void redactionDropsQueryUserInfoAndFragment() {
        URI presigned = URI.create("https://user:pw@bucket.s3.amazonaws.com:443/a/b.jpg"
                + "?X-Amz-Credential=AKIA123&X-Amz-Signature=secret#frag");

        assertThat(ImageSourceException.redact(presigned)).isEqualTo("https://bucket.s3.amazonaws.com:443/a/b.jpg");
    }

    private static InetAddress ipv6(String text) throws UnknownHostException {
        // Inet6Address keeps IPv6 forms that InetAddress.getByName would turn into IPv4
        byte[] bytes = InetAddress.getByName(text).getAddress();
        return Inet6Address.getByAddress(null, bytes.length == 16 ? bytes : mapped(bytes), -1);
    }

    private static byte[] mapped(byte[] ipv4) {
        byte[] bytes = new byte[16];
        bytes[10] = (byte) 0xff;
        bytes[11] = (byte) 0xff;
        System.arraycopy(ipv4, 0, bytes, 12, 4);
        return bytes;
    }

    @ParameterizedTest
    @ValueSource(strings = {"::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"})
    void letsIpv6FormsOfPublicIpv4AddressesThroughWhereTheyAreTranslated(String address) throws UnknownHostException {
        assertThat(GUARD.refusal(ipv6(address))).as(address).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1", "64:ff9b:1::a00:1", "::ffff:0:a00:1",
            "64:ff9b:1:abcd::a00:1"})
    void judgesTheIpv4AddressInsideIpv6(String address) throws UnknownHostException {
        assertThat(GUARD.refusal(ipv6(address))).as(address)
                .contains("10.0.0.0/8").contains("IPv4 address inside IPv6");
    }

    @Test
    void refusesLocalUseNat64AndSiitWhateverTheyEmbed() throws UnknownHostException {
        // RFC 8215's local-use prefix and SIIT reach only networks of their own
        assertThat(GUARD.refusal(ipv6("64:ff9b:1::808:808"))).contains("64:ff9b:1:0:0:0:0:0/48")
                .doesNotContain("inside IPv6");
        assertThat(GUARD.refusal(ipv6("::ffff:0:808:808"))).contains("0:0:0:0:ffff:0:0:0/96");
        assertThat(GUARD.refusal(ipv6("64:ff9b:1::a9fe:a9fe"))).contains("169.254.0.0/16");
        assertThat(GUARD.refusal(ipv6("::ffff:0:7f00:1"))).contains("127.0.0.0/8");
    }

    @Test
    void anAllowedBlockOpensASpecialPurposeRange() throws UnknownHostException {
        UrlPolicy lab = UrlPolicy.builder().allow("192.0.2.0/24").allow("2001:db8::/32").build();

        assertThat(lab.refusal(InetAddress.getByName("192.0.2.10"))).isNull();
        assertThat(lab.refusal(InetAddress.getByName("2001:db8::10"))).isNull();
        assertThat(lab.refusal(InetAddress.getByName("198.51.100.10"))).isNotNull();
    }
}
