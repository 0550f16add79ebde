package dev.mote.it;

import dev.mote.mqtt.Message;
import dev.mote.mqtt.MessageHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** A message handler that keeps what it gets, so a scenario can wait for it with a deadline. */
final class Collector implements MessageHandler {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final List<Message> messages = new ArrayList<>();

    @Override
    public void onMessage(Message message) {
        lock.lock();
        try {
            messages.add(message);
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until at least {@code n} messages arrived, at most {@code timeout}.
     *
     * @return all messages so far (possibly more than n)
     * @throws AssertionError naming how many came if fewer than n came in time
     */
    List<Message> await(int n, Duration timeout) {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (messages.size() < n) {
                if (left <= 0) {
                    throw new AssertionError("expected " + n + " message(s) within " + timeout.toMillis()
                            + " ms, got " + messages.size() + ": " + summary(messages));
                }
                left = arrived.awaitNanos(left);
            }
            return List.copyOf(messages);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } finally {
            lock.unlock();
        }
    }

    /** Waits at most {@code timeout} for more than {@code n} messages; returns all so far either way. */
    List<Message> awaitMoreThan(int n, Duration timeout) {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (messages.size() <= n && left > 0) {
                left = arrived.awaitNanos(left);
            }
            return List.copyOf(messages);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } finally {
            lock.unlock();
        }
    }

    List<Message> messages() {
        lock.lock();
        try {
            return List.copyOf(messages);
        } finally {
            lock.unlock();
        }
    }

    int count() {
        lock.lock();
        try {
            return messages.size();
        } finally {
            lock.unlock();
        }
    }

    static String summary(List<Message> ms) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < ms.size() && i < 10; i++) {
            Message m = ms.get(i);
            b.append(i == 0 ? "" : ", ").append(m.topic()).append('=').append(m.payloadAsString());
        }
        return b.append(ms.size() > 10 ? ", ...]" : "]").toString();
    }
}
