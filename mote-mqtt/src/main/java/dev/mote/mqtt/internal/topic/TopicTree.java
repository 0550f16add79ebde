package dev.mote.mqtt.internal.topic;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Routes a topic name to the values registered under matching topic filters, with the
 * semantics of {@link Topics#matches}. Filters are stored as a tree of levels, so routing costs
 * grow with the depth of the topic and the number of matches, not the number of filters.
 *
 * <p>The tree holds a multiset of (filter, value) entries: one value may sit under several
 * filters, several values under one filter, and adding the same pair twice stores it twice.
 *
 * <p><b>Not thread-safe.</b> Callers guard every access with their own lock; concurrent
 * {@link #forEachMatch} calls are safe only while nothing modifies the tree.
 *
 * @param <T> the values routed to, compared with {@link Object#equals} on removal
 */
public final class TopicTree<T> {

    private static final Object[] NO_VALUES = {};

    private final Node root = new Node(null, "");
    private int nodeCount = 1;
    private int size;

    /** Creates an empty tree. */
    public TopicTree() {
    }

    /**
     * Adds an entry. {@code filter} must already be valid ({@link Topics#validateFilter}) and be a
     * routing filter ({@link Topics#routingFilter}); other strings are stored literally.
     */
    public void add(String filter, T value) {
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(value, "value");
        Node node = root;
        int start = 0;
        while (true) {
            int end = Topics.levelEnd(filter, start);
            node = childForAdd(node, filter, start, end);
            if (end == filter.length()) {
                break;
            }
            start = end + 1;
        }
        Object[] old = node.values;
        Object[] values = Arrays.copyOf(old, old.length + 1);
        values[old.length] = value;
        node.values = values;
        size++;
    }

    /**
     * Removes one entry equal to ({@code filter}, {@code value}) and prunes nodes left empty.
     *
     * @return whether an entry was removed
     */
    public boolean remove(String filter, T value) {
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(value, "value");
        Node node = root;
        int start = 0;
        while (true) {
            int end = Topics.levelEnd(filter, start);
            node = existingChild(node, filter, start, end);
            if (node == null) {
                return false;
            }
            if (end == filter.length()) {
                break;
            }
            start = end + 1;
        }
        Object[] old = node.values;
        int index = -1;
        for (int i = 0; i < old.length; i++) {
            if (value.equals(old[i])) {
                index = i;
                break;
            }
        }
        if (index < 0) {
            return false;
        }
        Object[] values = old.length == 1 ? NO_VALUES : new Object[old.length - 1];
        System.arraycopy(old, 0, values, 0, index);
        System.arraycopy(old, index + 1, values, index, old.length - index - 1);
        // A fresh array rather than an in-place shift, so a forEachMatch in progress on this
        // thread (an action that unsubscribes) keeps iterating the array it started with.
        node.values = values;
        size--;
        prune(node);
        return true;
    }

    /**
     * Calls {@code action} with the value of each entry whose filter matches {@code topic}, so a
     * value added under two filters that both match is passed twice. The order is unspecified. The action
     * may add or remove entries; whether the ongoing walk sees those changes is unspecified.
     */
    public void forEachMatch(String topic, Consumer<? super T> action) {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(action, "action");
        int len = topic.length();
        boolean dollar = len > 0 && topic.charAt(0) == '$';
        // An explicit stack instead of recursion: filters may legally have tens of thousands
        // of levels, which recursion could turn into a StackOverflowError on a small stack.
        Node[] nodes = new Node[8];
        int[] starts = new int[8];
        nodes[0] = root;
        starts[0] = 0;
        int top = 1;
        while (top > 0) {
            top--;
            Node node = nodes[top];
            int start = starts[top];
            nodes[top] = null;
            if (start > len) {
                // Every topic level is matched: this node's own entries, plus "#" below it,
                // which also matches its parent level ("a/#" matches "a").
                emit(node.values, action);
                if (node.hash != null) {
                    emit(node.hash.values, action);
                }
                continue;
            }
            boolean wildcards = !(dollar && node == root); // [MQTT-4.7.2-1]
            if (wildcards && node.hash != null) {
                emit(node.hash.values, action);
            }
            int end = Topics.levelEnd(topic, start);
            Node literal = node.children == null ? null : node.children.get(topic.substring(start, end));
            Node plus = wildcards ? node.plus : null;
            if (top + 2 > nodes.length) {
                nodes = Arrays.copyOf(nodes, nodes.length * 2);
                starts = Arrays.copyOf(starts, starts.length * 2);
            }
            if (literal != null) {
                nodes[top] = literal;
                starts[top++] = end + 1;
            }
            if (plus != null) {
                nodes[top] = plus;
                starts[top++] = end + 1;
            }
        }
    }

    /** The values of all entries matching {@code topic}, as {@link #forEachMatch} visits them. */
    public List<T> matches(String topic) {
        List<T> out = new ArrayList<>();
        forEachMatch(topic, out::add);
        return out;
    }

    /** The number of (filter, value) entries. */
    public int size() {
        return size;
    }

    /** Nodes in the tree including the root; lets tests check that removal prunes. */
    int nodeCount() {
        return nodeCount;
    }

    @SuppressWarnings("unchecked")
    private static <T> void emit(Object[] values, Consumer<? super T> action) {
        for (Object value : values) {
            action.accept((T) value);
        }
    }

    private Node childForAdd(Node parent, String filter, int start, int end) {
        if (end - start == 1) {
            char c = filter.charAt(start);
            if (c == '+') {
                if (parent.plus == null) {
                    parent.plus = newNode(parent, "+");
                }
                return parent.plus;
            }
            if (c == '#') {
                if (parent.hash == null) {
                    parent.hash = newNode(parent, "#");
                }
                return parent.hash;
            }
        }
        String level = filter.substring(start, end);
        if (parent.children == null) {
            parent.children = new HashMap<>(4);
        }
        Node child = parent.children.get(level);
        if (child == null) {
            child = newNode(parent, level);
            parent.children.put(level, child);
        }
        return child;
    }

    private static Node existingChild(Node parent, String filter, int start, int end) {
        if (end - start == 1) {
            char c = filter.charAt(start);
            if (c == '+') {
                return parent.plus;
            }
            if (c == '#') {
                return parent.hash;
            }
        }
        return parent.children == null ? null : parent.children.get(filter.substring(start, end));
    }

    private Node newNode(Node parent, String level) {
        nodeCount++;
        return new Node(parent, level);
    }

    private void prune(Node node) {
        while (node != root && node.isEmpty()) {
            Node parent = node.parent;
            if (parent.plus == node) {
                parent.plus = null;
            } else if (parent.hash == node) {
                parent.hash = null;
            } else {
                parent.children.remove(node.level);
                if (parent.children.isEmpty()) {
                    parent.children = null; // an empty HashMap still holds its table
                }
            }
            nodeCount--;
            node = parent;
        }
    }

    /**
     * One filter level. Wildcard children get their own fields: valid filters only use
     * {@code +} and {@code #} as whole levels, and topic names never contain them, so the
     * literal map holds only literal levels.
     */
    private static final class Node {
        final Node parent;
        final String level;
        Map<String, Node> children;
        Node plus;
        Node hash;
        Object[] values = NO_VALUES;

        Node(Node parent, String level) {
            this.parent = parent;
            this.level = level;
        }

        boolean isEmpty() {
            return values.length == 0 && plus == null && hash == null
                    && (children == null || children.isEmpty());
        }
    }
}
