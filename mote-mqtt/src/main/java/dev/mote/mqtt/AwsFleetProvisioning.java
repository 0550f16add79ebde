package dev.mote.mqtt;

import dev.mote.mqtt.internal.config.Json;
import dev.mote.mqtt.internal.tls.Csr;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * AWS IoT fleet provisioning by claim, over MQTT: a device that ships with a claim certificate
 * gets its own certificate and thing, then connects with them. Each request subscribes to its
 * {@code /accepted} and {@code /rejected} topics before publishing (AWS answers only to
 * subscribers), waits for one answer, and unsubscribes. JSON payloads; QoS 1 (AWS has no QoS 2).
 * {@code CreateKeysAndCertificate} is published with an empty payload, as AWS documents.
 *
 * <pre>{@code
 * IdentityStore store = IdentityStore.inDirectory(Path.of("/var/lib/sensor/identity"));
 * DeviceIdentity claim = ...;   // endpoint, claim certificate and key, Amazon root CA
 * AwsFleetProvisioning.provision(claim, "SensorTemplate", Map.of("SerialNumber", serial), store,
 *         AwsFleetProvisioning.KeyOrigin.GENERATED_ON_DEVICE, Duration.ofSeconds(30));
 * MqttClient client = MqttClient.connect(store.optionsBuilder().build());
 * }</pre>
 *
 * <p>Or step by step on a client already connected with the claim certificate:
 * {@link #createCertificateFromCsr()} (or {@link #createKeysAndCertificate()}), then
 * {@link #registerThing(String, Map)} within the hour the ownership token is valid. A rejection
 * or a timeout is a {@link ProvisioningException} with AWS's status and error codes.
 */
public final class AwsFleetProvisioning {
    /** Where the new certificate's private key comes from. */
    public enum KeyOrigin {
        /** The device makes a P-256 key and sends only a CSR ({@code CreateCertificateFromCsr}): the key never travels. */
        GENERATED_ON_DEVICE,
        /** AWS makes key and certificate and sends both ({@code CreateKeysAndCertificate}). */
        CREATED_BY_AWS
    }

    /**
     * A certificate AWS issued, in state {@code PENDING_ACTIVATION} until {@link #registerThing}
     * uses its ownership token. {@link #toString()} shows neither key nor token.
     *
     * @param certificateId  AWS's id of the certificate
     * @param certificatePem the certificate, PEM
     * @param privateKeyPem  its private key, PEM (made on the device, or sent by AWS)
     * @param ownershipToken the token {@code RegisterThing} needs; expires after one hour
     */
    public record NewCertificate(String certificateId, String certificatePem, String privateKeyPem, String ownershipToken) {
        @Override
        public String toString() {
            return "NewCertificate[" + certificateId + ", privateKey=<hidden>, ownershipToken=<hidden>]";
        }
    }

    /**
     * What {@code RegisterThing} answered.
     *
     * @param thingName           the thing the template created or found
     * @param deviceConfiguration the template's device configuration (may be empty)
     */
    public record Registration(String thingName, Map<String, String> deviceConfiguration) {
        /** Checks the components: an invalid one is an {@link IllegalArgumentException} naming it. */
        public Registration {
            deviceConfiguration = Map.copyOf(deviceConfiguration);
        }
    }

    private final MqttClient client;
    private final String templateName;
    private final Duration timeout;
    private final ReentrantLock oneAtATime = new ReentrantLock();

    /**
     * Provisioning over a client already connected with the claim certificate.
     * @param claimClient  a client connected to AWS IoT with the claim certificate
     * @param templateName the provisioning template's name
     * @param timeout      how long each request waits for its answer
     */
    public AwsFleetProvisioning(MqttClient claimClient, String templateName, Duration timeout) {
        this.client = Objects.requireNonNull(claimClient, "claimClient");
        this.templateName = Objects.requireNonNull(templateName, "templateName");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (templateName.isEmpty() || templateName.contains("/") || templateName.contains("+") || templateName.contains("#")) {
            throw new IllegalArgumentException("a template name is one topic level without wildcards, not \"" + templateName + "\"");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, not " + timeout);
        }
    }

    /**
     * The whole flow: connects with the claim identity, gets a certificate, registers the thing,
     * saves the permanent identity (the claim identity's endpoint, port, CA and ALPN; the new
     * certificate and key; the thing name as client id) in {@code store}, and disconnects. Connect
     * with it afterwards through {@link IdentityStore#optionsBuilder()}.
     *
     * @return the identity saved
     * @throws ProvisioningException if AWS rejects a request or does not answer in time
     */
    public static DeviceIdentity provision(DeviceIdentity claim, String templateName, Map<String, String> parameters,
                                           IdentityStore store, KeyOrigin keyOrigin, Duration timeout) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(keyOrigin, "keyOrigin");
        Objects.requireNonNull(parameters, "parameters");
        try (MqttClient claimClient = MqttClient.connect(claim.optionsBuilder().reconnect(ReconnectPolicy.disabled()).build())) {
            AwsFleetProvisioning p = new AwsFleetProvisioning(claimClient, templateName, timeout);
            NewCertificate cert = keyOrigin == KeyOrigin.GENERATED_ON_DEVICE ? p.createCertificateFromCsr() : p.createKeysAndCertificate();
            Registration reg = p.registerThing(cert.ownershipToken(), parameters);
            DeviceIdentity permanent = claim.withCertificate(cert.certificatePem(), cert.privateKeyPem()).withClientId(reg.thingName());
            permanent.tlsConfig(); // the key must match the certificate before it replaces anything
            store.save(permanent);
            return permanent;
        }
    }

    /**
     * {@code CreateKeysAndCertificate}: AWS makes a key pair and certificate and sends both.
     * Publishes an empty payload to {@code $aws/certificates/create/json}.
     */
    public NewCertificate createKeysAndCertificate() {
        Json.JsonObject a = request("CreateKeysAndCertificate", "$aws/certificates/create/json", "");
        return new NewCertificate(field(a, "CreateKeysAndCertificate", "certificateId"),
                field(a, "CreateKeysAndCertificate", "certificatePem"), field(a, "CreateKeysAndCertificate", "privateKey"),
                field(a, "CreateKeysAndCertificate", "certificateOwnershipToken"));
    }

    /** {@code CreateCertificateFromCsr} with a new P-256 key made here, subject {@code CN=<client id>}. */
    public NewCertificate createCertificateFromCsr() {
        return createCertificateFromCsr(Csr.newEcKeyPair(), client.clientId().isEmpty() ? "device" : client.clientId());
    }

    /**
     * {@code CreateCertificateFromCsr}: sends a CSR for {@code keys} (EC or RSA) to
     * {@code $aws/certificates/create-from-csr/json}; only the public key travels.
     */
    public NewCertificate createCertificateFromCsr(KeyPair keys, String commonName) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(commonName, "commonName");
        String csr = Csr.pem(keys, commonName);
        Json.JsonObject a = request("CreateCertificateFromCsr", "$aws/certificates/create-from-csr/json",
                Json.write(Map.of("certificateSigningRequest", csr)));
        return new NewCertificate(field(a, "CreateCertificateFromCsr", "certificateId"),
                field(a, "CreateCertificateFromCsr", "certificatePem"), Csr.privateKeyPem(keys),
                field(a, "CreateCertificateFromCsr", "certificateOwnershipToken"));
    }

    /**
     * {@code RegisterThing}: publishes the ownership token and the template parameters to
     * {@code $aws/provisioning-templates/<template>/provision/json}.
     */
    public Registration registerThing(String ownershipToken, Map<String, String> parameters) {
        Objects.requireNonNull(ownershipToken, "ownershipToken");
        Objects.requireNonNull(parameters, "parameters");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("certificateOwnershipToken", ownershipToken);
        if (!parameters.isEmpty()) {
            body.put("parameters", new LinkedHashMap<>(parameters));
        }
        Json.JsonObject a = request("RegisterThing", "$aws/provisioning-templates/" + templateName + "/provision/json",
                Json.write(body));
        Map<String, String> config = new LinkedHashMap<>();
        Object dc = a.get("deviceConfiguration");
        if (dc instanceof Json.JsonObject o) {
            for (Json.Member m : o.members()) {
                if (m.value() instanceof String s) {
                    config.put(m.key(), s);
                }
            }
        } else if (dc != null && dc != Json.NULL) {
            throw new ProvisioningException("RegisterThing", -1, null, null, false, "deviceConfiguration is not a JSON object");
        }
        return new Registration(field(a, "RegisterThing", "thingName"), config);
    }

    /** Subscribe to accepted and rejected, publish, wait for one answer, unsubscribe. */
    private Json.JsonObject request(String operation, String topic, String payload) {
        oneAtATime.lock(); // answers carry no request id: one request at a time per client
        try {
            String accepted = topic + "/accepted";
            String rejected = topic + "/rejected";
            // Closing the subscription unsubscribes both filters, whatever the outcome.
            try (Subscription sub = client.subscribe(List.of(TopicFilter.of(accepted, Qos.AT_LEAST_ONCE),
                    TopicFilter.of(rejected, Qos.AT_LEAST_ONCE)), null, Wait.ACK)) {
                client.publish(topic, payload.getBytes(StandardCharsets.UTF_8), Qos.AT_LEAST_ONCE, false, Wait.ACK);
                Message m = sub.receive(timeout);
                if (m == null) {
                    throw new ProvisioningException(operation, -1, null, null, true,
                            "no answer on " + accepted + " or " + rejected + " within " + timeout.toMillis() + " ms");
                }
                Json.JsonObject body = parse(operation, m);
                if (m.topic().equals(rejected)) {
                    Object status = body.get("statusCode");
                    int code = status instanceof java.math.BigDecimal d ? d.intValue() : -1;
                    String errorCode = body.get("errorCode") instanceof String s ? s : null;
                    String errorMessage = body.get("errorMessage") instanceof String s ? s : null;
                    throw new ProvisioningException(operation, code, errorCode, errorMessage, false,
                            "rejected with status " + code + ", " + errorCode + ": " + errorMessage);
                }
                return body;
            }
        } finally {
            oneAtATime.unlock();
        }
    }

    private static Json.JsonObject parse(String operation, Message m) {
        try {
            if (Json.parse(new String(m.payload(), StandardCharsets.UTF_8), m.topic()) instanceof Json.JsonObject o) {
                return o;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new ProvisioningException(operation, -1, null, null, false, "the answer on " + m.topic() + " is not a JSON object");
    }

    private static String field(Json.JsonObject o, String operation, String name) {
        if (o.get(name) instanceof String s && !s.isEmpty()) {
            return s;
        }
        throw new ProvisioningException(operation, -1, null, null, false, "the accepted answer has no " + name);
    }
}
