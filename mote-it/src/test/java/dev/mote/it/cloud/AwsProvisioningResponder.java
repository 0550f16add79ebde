package dev.mote.it.cloud;

import dev.mote.mqtt.Message;
import dev.mote.mqtt.MqttClient;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.Subscription;
import dev.mote.mqtt.TopicFilter;
import dev.mote.mqtt.Wait;
import dev.mote.mqtt.internal.config.Json;
import dev.mote.mqtt.internal.tls.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plays AWS IoT fleet provisioning on the test broker, as the AWS developer guide documents the
 * MQTT API ({@code fleet-provision-api}): requests on {@code $aws/certificates/create/json},
 * {@code $aws/certificates/create-from-csr/json} and
 * {@code $aws/provisioning-templates/<template>/provision/json}, answers on their
 * {@code /accepted} or {@code /rejected} topics with the documented payload fields. Certificates
 * are real, signed by the test CA with openssl, so the device's new identity works against the
 * broker. The error codes in rejections are this test's choice; the shape
 * {@code {statusCode, errorCode, errorMessage}} is AWS's.
 */
final class AwsProvisioningResponder implements AutoCloseable {
    static final String INVALID_TOKEN = "InvalidCertificateOwnershipToken";

    private record Issued(String certificateId, String commonName, boolean expired) {}

    private final TestPki pki;
    private final Path work;
    private final String template;
    private final MqttClient client;
    private final Subscription requests;
    private final Map<String, Issued> tokens = new ConcurrentHashMap<>();
    private final AtomicInteger serial = new AtomicInteger(1000);
    /** Every request payload seen, by topic, to check what the device sent. */
    final List<String> payloads = Collections.synchronizedList(new ArrayList<>());
    /** The common name of certificates this responder makes for CreateKeysAndCertificate. */
    volatile String createKeysCommonName = "device";
    private volatile Map<String, Object> rejectNext;

    AwsProvisioningResponder(TestPki pki, Path work, int plainPort, String template) throws IOException {
        this.pki = pki;
        this.work = Files.createDirectories(work);
        this.template = template;
        this.client = MqttClient.connect(MqttOptions.builder("mqtt://127.0.0.1:" + plainPort).clientId("aws-responder").build());
        this.requests = client.subscribe(List.of(TopicFilter.of("$aws/certificates/create/json", Qos.AT_LEAST_ONCE),
                TopicFilter.of("$aws/certificates/create-from-csr/json", Qos.AT_LEAST_ONCE),
                TopicFilter.of("$aws/provisioning-templates/" + template + "/provision/json", Qos.AT_LEAST_ONCE)),
                this::handle, Wait.ACK);
    }

    /** The next request is rejected with this status and code, whatever it is. */
    void rejectNext(int statusCode, String errorCode, String errorMessage) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("statusCode", statusCode);
        r.put("errorCode", errorCode);
        r.put("errorMessage", errorMessage);
        rejectNext = r;
    }

    /** As if an hour passed: every ownership token issued so far has expired. */
    void expireTokens() {
        tokens.replaceAll((t, i) -> new Issued(i.certificateId(), i.commonName(), true));
    }

    private void handle(Message m) throws Exception {
        String payload = new String(m.payload(), StandardCharsets.UTF_8);
        payloads.add(m.topic() + " " + payload);
        Map<String, Object> forced = rejectNext;
        if (forced != null) {
            rejectNext = null;
            reply(m.topic() + "/rejected", forced);
            return;
        }
        try {
            if (m.topic().equals("$aws/certificates/create/json")) {
                createKeysAndCertificate(m.topic(), payload);
            } else if (m.topic().equals("$aws/certificates/create-from-csr/json")) {
                createFromCsr(m.topic(), payload);
            } else {
                registerThing(m.topic(), payload);
            }
        } catch (Rejected r) {
            reply(m.topic() + "/rejected", r.body);
        }
    }

    private static final class Rejected extends Exception {
        final Map<String, Object> body = new LinkedHashMap<>();

        Rejected(int status, String code, String message) {
            super(message, null, false, false);
            body.put("statusCode", status);
            body.put("errorCode", code);
            body.put("errorMessage", message);
        }
    }

    private void createKeysAndCertificate(String topic, String payload) throws Exception {
        if (!payload.isEmpty()) {
            throw new Rejected(400, "InvalidPayload", "CreateKeysAndCertificate takes an empty payload");
        }
        String id = nextId();
        Path key = work.resolve(id + ".key");
        pki.openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key.toString());
        Path csr = work.resolve(id + ".csr");
        pki.openssl("req", "-new", "-config", pki.dir.resolve("req.cnf").toString(), "-key", key.toString(),
                "-subj", "/CN=" + createKeysCommonName, "-out", csr.toString());
        String cert = sign(id, csr);
        Map<String, Object> accepted = new LinkedHashMap<>();
        accepted.put("certificateId", id);
        accepted.put("certificatePem", cert);
        accepted.put("privateKey", Files.readString(key));
        accepted.put("certificateOwnershipToken", token(id, createKeysCommonName));
        reply(topic + "/accepted", accepted);
    }

    private void createFromCsr(String topic, String payload) throws Exception {
        Json.JsonObject o = object(payload);
        if (!o.asMap().keySet().equals(Set.of("certificateSigningRequest"))
                || !(o.get("certificateSigningRequest") instanceof String pem)) {
            throw new Rejected(400, "InvalidPayload", "expected {certificateSigningRequest}");
        }
        String id = nextId();
        Path csr = Files.writeString(work.resolve(id + ".csr"), pem);
        try {
            pki.openssl("req", "-in", csr.toString(), "-verify", "-noout");
        } catch (IOException e) {
            throw new Rejected(400, "InvalidCsr", "the CSR does not verify");
        }
        String cert = sign(id, csr);
        Path certFile = Files.writeString(work.resolve(id + ".subject.pem"), cert);
        String cn = subjectCommonName(certFile);
        Map<String, Object> accepted = new LinkedHashMap<>();
        accepted.put("certificateOwnershipToken", token(id, cn));
        accepted.put("certificateId", id);
        accepted.put("certificatePem", cert);
        reply(topic + "/accepted", accepted);
    }

    private void registerThing(String topic, String payload) throws Exception {
        Json.JsonObject o = object(payload);
        if (!(o.get("certificateOwnershipToken") instanceof String token)) {
            throw new Rejected(400, "InvalidPayload", "certificateOwnershipToken is missing");
        }
        Issued issued = tokens.get(token);
        if (issued == null) {
            throw new Rejected(400, INVALID_TOKEN, "the certificate ownership token is not valid");
        }
        if (issued.expired()) {
            throw new Rejected(400, INVALID_TOKEN, "the certificate ownership token has expired");
        }
        if (!(o.get("parameters") instanceof Json.JsonObject params) || !(params.get("SerialNumber") instanceof String sn)) {
            throw new Rejected(400, "InvalidParameters", "the template needs the parameter SerialNumber");
        }
        tokens.remove(token);
        Map<String, Object> accepted = new LinkedHashMap<>();
        accepted.put("deviceConfiguration", Map.of("telemetryTopic", "dev/" + issued.commonName() + "/telemetry"));
        accepted.put("thingName", "sensor-" + sn);
        reply(topic + "/accepted", accepted);
    }

    private static Json.JsonObject object(String payload) throws Rejected {
        try {
            if (Json.parse(payload, "request") instanceof Json.JsonObject o) {
                return o;
            }
        } catch (IllegalArgumentException e) {
            // below
        }
        throw new Rejected(400, "InvalidPayload", "the payload is not a JSON object");
    }

    private String nextId() {
        return Integer.toHexString(serial.incrementAndGet()) + UUID.randomUUID().toString().replace("-", "");
    }

    private String token(String certificateId, String cn) {
        String t = UUID.randomUUID().toString();
        tokens.put(t, new Issued(certificateId, cn, false));
        return t;
    }

    private String sign(String id, Path csr) throws IOException {
        Path cert = work.resolve(id + ".pem");
        pki.openssl("x509", "-req", "-in", csr.toString(), "-CA", pki.caCert.toString(), "-CAkey", pki.caKey.toString(),
                "-set_serial", String.valueOf(serial.incrementAndGet()), "-days", "30", "-sha256",
                "-extfile", pki.dir.resolve("client.ext").toString(), "-out", cert.toString());
        return Files.readString(cert);
    }

    private String subjectCommonName(Path cert) throws Exception {
        try (var in = Files.newInputStream(cert)) {
            var x = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in);
            String dn = x.getSubjectX500Principal().getName();
            return dn.startsWith("CN=") ? dn.substring(3).split(",")[0] : dn;
        }
    }

    private void reply(String topic, Map<String, Object> body) {
        client.publish(topic, Json.write(body).getBytes(StandardCharsets.UTF_8), Qos.AT_LEAST_ONCE, false, Wait.ACK);
    }

    @Override
    public void close() {
        requests.close();
        client.close();
    }
}
