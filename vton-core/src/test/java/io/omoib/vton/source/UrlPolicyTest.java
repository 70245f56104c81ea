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
            "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "::7f00:1"})
    void refusesAddressesThatAreNotPublic(String address) throws UnknownHostException {
        assertThat(GUARD.refusal(InetAddress.getByName(address))).as(address).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "52.95.110.1",
            "2606:4700:4700::1111", "2a00:1450:4001::200e"})
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
}
