package dev.mote.mqtt.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.mote.mqtt.internal.codec.Packet;
import dev.mote.mqtt.internal.codec.Publish;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link SessionListener} that writes everything down: every packet the session asks to send
 * (with its token), and every event, each in call order. Tests read them and then usually
 * {@link #clear()} before the next step, so each assertion sees only what that step produced.
 */
final class RecordingListener implements SessionListener {

    /** One {@link SessionListener#send} call. */
    record Sent(Packet packet, Object token) {}

    /** One event call. */
    sealed interface Event {}

    record Connected(boolean sessionPresent) implements Event {}

    record Refused(int returnCode) implements Event {}

    record Published(Object token) implements Event {}

    /** {@code ack} is compared by identity (InboundAck has no equals), which is what tests want. */
    record Received(Publish publish, InboundAck ack) implements Event {}

    /** Return codes as a list so that records compare by value. */
    record Subscribed(Object token, List<Integer> returnCodes) implements Event {}

    record Unsubscribed(Object token) implements Event {}

    record Pong(Object token) implements Event {}

    record Violation(String description) implements Event {}

    record Dead(String description) implements Event {}

    final List<Sent> sent = new ArrayList<>();
    final List<Event> events = new ArrayList<>();

    @Override
    public void send(Packet packet, Object token) {
        sent.add(new Sent(packet, token));
    }

    @Override
    public void connected(boolean sessionPresent) {
        events.add(new Connected(sessionPresent));
    }

    @Override
    public void refused(int returnCode) {
        events.add(new Refused(returnCode));
    }

    @Override
    public void published(Object token) {
        events.add(new Published(token));
    }

    @Override
    public void received(Publish publish, InboundAck ack) {
        events.add(new Received(publish, ack));
    }

    @Override
    public void subscribed(Object token, int[] returnCodes) {
        events.add(new Subscribed(token, Arrays.stream(returnCodes).boxed().toList()));
    }

    @Override
    public void unsubscribed(Object token) {
        events.add(new Unsubscribed(token));
    }

    @Override
    public void pong(Object token) {
        events.add(new Pong(token));
    }

    @Override
    public void violation(String description) {
        events.add(new Violation(description));
    }

    @Override
    public void dead(String description) {
        events.add(new Dead(description));
    }

    // ---------------------------------------------------------------- reading what was recorded

    /** The packets sent so far, without tokens. */
    List<Packet> packets() {
        return sent.stream().map(Sent::packet).toList();
    }

    /** Forgets everything recorded so far. */
    void clear() {
        sent.clear();
        events.clear();
    }

    /** Asserts that exactly one event was recorded and that it was a violation; returns its text. */
    String onlyViolation() {
        assertEquals(1, events.size(), () -> "expected exactly one violation event, got " + events);
        return assertInstanceOf(Violation.class, events.get(0)).description();
    }

    /** Asserts that exactly one event was recorded and that it was a delivery; returns it. */
    Received onlyReceived() {
        assertEquals(1, events.size(), () -> "expected exactly one received event, got " + events);
        return assertInstanceOf(Received.class, events.get(0));
    }
}
