package dev.mote.mqtt.internal.cloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class SasTokenTest {
    // A made-up device key (32 bytes, Base64), as the portal shows keys.
    private static final String KEY = "c2VjcmV0LWtleS1vZi1teS1kZXZpY2UtMDEyMzQ1Njc=";

    @Test
    void matchesAnIndependentComputationOfMicrosoftsRecipe() throws Exception {
        String resource = "contoso.azure-devices.net/devices/MyDevice01";
        long expiry = 1_700_000_000L;
        // Computed here without SasToken: URLEncoder agrees with encodeURIComponent on these characters.
        String sr = URLEncoder.encode(resource, StandardCharsets.UTF_8);
        assertEquals("contoso.azure-devices.net%2Fdevices%2FMyDevice01", sr);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(KEY), "HmacSHA256"));
        String sig = Base64.getEncoder().encodeToString(mac.doFinal((sr + "\n" + expiry).getBytes(StandardCharsets.UTF_8)));
        String expected = "SharedAccessSignature sr=" + sr + "&sig=" + URLEncoder.encode(sig, StandardCharsets.UTF_8) + "&se=" + expiry;

        assertEquals(expected, SasToken.create(resource, Base64.getDecoder().decode(KEY), expiry));
    }

    @Test
    void aKnownAnswerComputedWithOpenssl() {
        // printf 'h.azure-devices.net%%2Fdevices%%2Fd1\n1000' | openssl dgst -sha256 -hmac key -binary | base64
        //   MsgB+32TJ90d/RUA6YggZ0spZXtSA8eZSvaE6H3Hvec=   (then + / = percent-encoded)
        assertEquals("SharedAccessSignature sr=h.azure-devices.net%2Fdevices%2Fd1"
                        + "&sig=MsgB%2B32TJ90d%2FRUA6YggZ0spZXtSA8eZSvaE6H3Hvec%3D&se=1000",
                SasToken.create("h.azure-devices.net/devices/d1", "key".getBytes(StandardCharsets.UTF_8), 1000));
        assertNotEquals(SasToken.create("h.azure-devices.net/devices/d1", "key".getBytes(StandardCharsets.UTF_8), 1000),
                SasToken.create("h.azure-devices.net/devices/d1", "key".getBytes(StandardCharsets.UTF_8), 1001));
    }

    @Test
    void encodesAsEncodeUriComponent() {
        assertEquals("a%20b!~*'()%2F%2B%3D%26%3F-_.", SasToken.encodeUriComponent("a b!~*'()/+=&?-_."));
        assertEquals("%C3%A9%24", SasToken.encodeUriComponent("é$"));
    }
}
