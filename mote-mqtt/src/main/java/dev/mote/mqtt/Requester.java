package dev.mote.mqtt;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Request and response over MQTT 3.1.1, which has no reply-topic or correlation properties: the
 * request carries them in a small text header in front of its body, and the reply comes back on
 * a topic that ends in the correlation id.
 *
 * <p>The request payload is {@code reply-to: <topic>\ncorrelation-id: <id>\n\n<body>} (UTF-8
 * header lines, an empty line, then the body bytes unchanged); the reply is the bare body,
 * published to the {@code reply-to} topic, which is {@code <reply prefix>/<id>}. A requester
 * subscribes once to {@code <reply prefix>/+}; {@link #serve} is the matching responder.
 *
 * <pre>{@code
 * try (Requester requester = Requester.open(client, "replies/sensor-17")) {
 *     byte[] answer = requester.request("services/clock", new byte[0], Duration.ofSeconds(5));
 * }
 * // elsewhere
 * Subscription s = Requester.serve(server, "services/clock", Qos.AT_LEAST_ONCE,
 *         request -> Instant.now().toString().getBytes(UTF_8));
 * }</pre>
 */
public final class Requester implements AutoCloseable {
    private static final byte[] HEADER_END = {'\n', '\n'};

    private final MqttClient client;
    private final String replyPrefix;
    private final Subscription replies;
    private final Map<String, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
    private final String idPrefix;
    private final AtomicLong next = new AtomicLong();

    /**
     * A request as the responder sees it.
     *
     * @param topic         the topic the request was published to
     * @param body          the request body
     * @param replyTo       where the reply goes
     * @param correlationId the requester's id for this request
     */
    public record Request(String topic, byte[] body, String replyTo, String correlationId) {}

    private Requester(MqttClient client, String replyPrefix) {
        this.client = client;
        this.replyPrefix = replyPrefix;
        byte[] r = new byte[6];
        new SecureRandom().nextBytes(r);
        this.idPrefix = HexFormat.of().formatHex(r) + "-";
        this.replies = client.subscribe(replyPrefix + "/+", Qos.AT_LEAST_ONCE, this::onReply);
    }

    /**
     * Subscribes to {@code replyPrefix/+} (waiting for SUBACK) for the replies to this requester's
     * requests. Use a prefix only this client uses, e.g. one that ends in its client id.
     */
    public static Requester open(MqttClient client, String replyPrefix) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(replyPrefix, "replyPrefix");
        if (replyPrefix.isEmpty() || replyPrefix.contains("+") || replyPrefix.contains("#") || replyPrefix.contains("\n")) {
            throw new IllegalArgumentException("a reply prefix is a topic name without wildcards or line breaks, not \""
                    + replyPrefix + "\"");
        }
        return new Requester(client, replyPrefix);
    }

    /**
     * Publishes a request at QoS 1 to {@code topic} and waits for its reply.
     *
     * @return the reply's body
     * @throws MqttTimeoutException if no reply came within {@code timeout} (a late reply is dropped)
     */
    public byte[] request(String topic, byte[] body, Duration timeout) {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(timeout, "timeout");
        String id = idPrefix + next.incrementAndGet();
        CompletableFuture<byte[]> reply = new CompletableFuture<>();
        pending.put(id, reply);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            client.publish(topic, envelope(replyPrefix + "/" + id, id, body), Qos.AT_LEAST_ONCE, false, Wait.ACK);
            return reply.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new MqttTimeoutException("no reply to request " + id + " on " + topic + " within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MqttInterruptedException("interrupted while waiting for the reply to request " + id, e);
        } catch (ExecutionException e) {
            throw new MqttException("request " + id + " failed: " + e.getCause(), e.getCause());
        } finally {
            pending.remove(id);
        }
    }

    /** Publishes a UTF-8 request and returns the reply as UTF-8; see {@link #request(String, byte[], Duration)}. */
    public String request(String topic, String body, Duration timeout) {
        return new String(request(topic, body.getBytes(StandardCharsets.UTF_8), timeout), StandardCharsets.UTF_8);
    }

    /** How many requests are waiting for their reply. */
    public int pendingRequests() {
        return pending.size();
    }

    private void onReply(Message m) {
        String id = m.topic().substring(m.topic().lastIndexOf('/') + 1);
        CompletableFuture<byte[]> f = pending.get(id);
        if (f != null) {
            f.complete(m.payload());
        }
    }

    /**
     * Answers requests on {@code requestFilter}: each request's reply is {@code responder}'s result,
     * published at QoS 1 to the request's reply-to topic. A payload without the header, or a
     * responder that throws or returns null, gets no reply (the requester times out).
     *
     * @return the subscription; close it to stop serving
     */
    public static Subscription serve(MqttClient client, String requestFilter, Qos qos, Function<Request, byte[]> responder) {
        Objects.requireNonNull(responder, "responder");
        return client.subscribe(requestFilter, qos, m -> {
            Request r = parse(m);
            if (r == null) {
                return;
            }
            byte[] answer = responder.apply(r);
            if (answer != null) {
                client.publish(r.replyTo(), answer, Qos.AT_LEAST_ONCE, false, Wait.NONE);
            }
        });
    }

    /** The request payload: header lines, an empty line, the body. */
    static byte[] envelope(String replyTo, String correlationId, byte[] body) {
        byte[] head = ("reply-to: " + replyTo + "\ncorrelation-id: " + correlationId + "\n\n").getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(head.length + body.length);
        out.writeBytes(head);
        out.writeBytes(body);
        return out.toByteArray();
    }

    /** A request from a received message, or null if its payload has no complete header. */
    static Request parse(Message m) {
        byte[] p = m.payload();
        int end = indexOf(p, HEADER_END);
        if (end < 0) {
            return null;
        }
        String replyTo = null;
        String id = null;
        for (String line : new String(p, 0, end, StandardCharsets.UTF_8).split("\n")) {
            int colon = line.indexOf(": ");
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon);
            String value = line.substring(colon + 2);
            if (name.equals("reply-to")) {
                replyTo = value;
            } else if (name.equals("correlation-id")) {
                id = value;
            }
        }
        if (replyTo == null || id == null || replyTo.isEmpty()) {
            return null;
        }
        byte[] body = java.util.Arrays.copyOfRange(p, end + HEADER_END.length, p.length);
        return new Request(m.topic(), body, replyTo, id);
    }

    private static int indexOf(byte[] data, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= data.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (data[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Unsubscribes from the replies; requests still waiting time out. */
    @Override
    public void close() {
        replies.close();
    }

    @Override
    public String toString() {
        return "Requester[replies on " + replyPrefix + "/+, " + pending.size() + " pending]";
    }
}
