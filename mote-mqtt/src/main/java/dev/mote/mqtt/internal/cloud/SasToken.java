package dev.mote.mqtt.internal.cloud;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Azure shared access signatures, as Microsoft's IoT Hub security guide builds them: the resource
 * URI is URL-encoded, the string to sign is that encoded URI, a newline and the expiry in seconds
 * since the epoch, signed with HMAC-SHA256 under the Base64-decoded key; the token is
 * {@code SharedAccessSignature sr={encoded URI}&sig={URL-encoded Base64 signature}&se={expiry}}.
 * URL encoding is JavaScript's {@code encodeURIComponent}, which the guide's example uses.
 */
public final class SasToken {
    private static final String UNRESERVED =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()";
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private SasToken() {}

    /**
     * A token for {@code resourceUri} (for a device: {@code {hub host}/devices/{device id}}).
     *
     * @param key                the Base64-decoded key
     * @param expiryEpochSeconds when the token stops being valid
     */
    public static String create(String resourceUri, byte[] key, long expiryEpochSeconds) {
        String sr = encodeUriComponent(resourceUri);
        byte[] signature;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            signature = mac.doFinal((sr + "\n" + expiryEpochSeconds).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available: " + e.getMessage(), e);
        }
        return "SharedAccessSignature sr=" + sr + "&sig=" + encodeUriComponent(Base64.getEncoder().encodeToString(signature))
                + "&se=" + expiryEpochSeconds;
    }

    /** Percent-encodes the UTF-8 bytes of {@code s} except {@code A-Z a-z 0-9 - _ . ! ~ * ' ( )}. */
    public static String encodeUriComponent(String s) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c < 0x80 && UNRESERVED.indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return out.toString();
    }
}
