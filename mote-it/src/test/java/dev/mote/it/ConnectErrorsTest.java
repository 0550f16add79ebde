package dev.mote.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mote.it.broker.Broker;
import dev.mote.it.broker.BrokerTest;
import dev.mote.it.broker.HiveMqBroker;
import dev.mote.it.broker.MosquittoBroker;
import dev.mote.it.broker.Net;
import dev.mote.it.broker.TestBed;
import dev.mote.mqtt.BadUserNameOrPasswordException;
import dev.mote.mqtt.ConnectionRefusedException;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttException;
import dev.mote.mqtt.NotAuthorizedException;
import java.net.ConnectException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/** Connecting fails fast and says why: nobody listening, or a broker that refuses us. */
class ConnectErrorsTest {

    @BrokerTest
    void nothingListeningFailsFast(TestBed bed) {
        int port = Net.freePort(); // nothing listens there
        String id = bed.clientId("nobody");
        MqttException e = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertThrows(MqttException.class,
                () -> MqttClient.connect(bed.options("mqtt://127.0.0.1:" + port).clientId(id).build())));
        assertFalse(e instanceof ConnectionRefusedException, "no CONNACK was involved: " + e);
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertInstanceOf(ConnectException.class, e.getCause(), "the socket's refusal as the cause");
        Await.until(Duration.ofSeconds(5), () -> Threads.named(id).isEmpty(), () -> "threads left: " + Threads.named(id));
    }

    /**
     * Mosquitto with {@code allow_anonymous false} and a password file: the right password gets
     * in, a wrong one and none at all are refused. Mosquitto 2.0.11 answers both refusals with
     * CONNACK code 5 (not authorized), not 4 (bad user name or password).
     * HiveMQ: its test extension refuses two user names, one with code 4 and one with code 5.
     */
    @BrokerTest
    void brokerRefusalNamesTheReturnCode(TestBed bed) {
        if (bed.broker().kind() == Broker.Kind.HIVEMQ) {
            BadUserNameOrPasswordException bad = assertThrows(BadUserNameOrPasswordException.class, () -> MqttClient.connect(
                    bed.options().clientId(bed.clientId("bad")).credentials(HiveMqBroker.BAD_CREDENTIALS_USER, "pw").build()));
            assertEquals(4, bad.returnCode());
            assertEquals("broker mqtt://127.0.0.1:" + bed.broker().port()
                    + " refused the connection (CONNACK code 4): bad user name or password", bad.getMessage());
            NotAuthorizedException denied = assertThrows(NotAuthorizedException.class, () -> MqttClient.connect(
                    bed.options().clientId(bed.clientId("deny")).credentials(HiveMqBroker.NOT_AUTHORIZED_USER, "pw").build()));
            assertEquals(5, denied.returnCode());
            assertEquals("broker mqtt://127.0.0.1:" + bed.broker().port()
                    + " refused the connection (CONNACK code 5): not authorized", denied.getMessage());
            bed.connect(o -> o.clientId(bed.clientId("ok")).credentials("anyone", "pw")).ping();
            return;
        }
        MosquittoBroker secured = bed.mosquitto(MosquittoBroker.builder("auth")
                .allowAnonymous(false)
                .file("passwords", "alice:" + mosquittoPasswordHash("secret") + "\n")
                .config("password_file ${dir}/passwords"));
        String refusal = "broker mqtt://127.0.0.1:" + secured.port() + " refused the connection (CONNACK code 5): not authorized";

        MqttClient alice = bed.connect(bed.options(secured.uri()).clientId(bed.clientId("alice")).credentials("alice", "secret").build());
        alice.ping();

        NotAuthorizedException wrong = assertThrows(NotAuthorizedException.class, () -> MqttClient.connect(
                bed.options(secured.uri()).clientId(bed.clientId("wrong")).credentials("alice", "guess").build()));
        assertEquals(5, wrong.returnCode());
        assertEquals(refusal, wrong.getMessage());

        NotAuthorizedException anonymous = assertThrows(NotAuthorizedException.class, () -> MqttClient.connect(
                bed.options(secured.uri()).clientId(bed.clientId("anon")).build()));
        assertEquals(refusal, anonymous.getMessage());
    }

    /**
     * A password file entry as Mosquitto 2.0 writes it: {@code $7$<iterations>$<salt>$<hash>},
     * PBKDF2 with HMAC-SHA512, 101 iterations, a 12-byte salt and a 64-byte hash, both base64.
     */
    static String mosquittoPasswordHash(String password) {
        byte[] salt = new byte[12];
        new SecureRandom().nextBytes(salt);
        try {
            byte[] hash = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, 101, 64 * 8))
                    .getEncoded();
            Base64.Encoder b64 = Base64.getEncoder();
            return "$7$101$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA512 is part of every JDK", e);
        }
    }
}
