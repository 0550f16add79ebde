package dev.mote.mqtt.internal.topic;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TopicTreeTest {

    private static final String EMOJI = "\uD83D\uDE00";

    @ParameterizedTest(name = "{0} vs {1} -> {2}")
    @MethodSource("dev.mote.mqtt.internal.topic.SpecExamples#matching")
    void routesSpecExamples(String filter, String topic, boolean expected) {
        TopicTree<String> tree = new TopicTree<>();
        tree.add(filter, "v");
        assertEquals(expected ? List.of("v") : List.of(), tree.matches(topic));
    }

    @Test
    void routesSpecExamplesAllInOneTree() {
        List<Arguments> examples = SpecExamples.matching().toList();
        TopicTree<String> tree = new TopicTree<>();
        for (Arguments a : examples) {
            String filter = (String) a.get()[0];
            tree.add(filter, filter);
        }
        for (Arguments a : examples) {
            String topic = (String) a.get()[1];
            List<String> expected = new ArrayList<>();
            for (Arguments b : examples) {
                String filter = (String) b.get()[0];
                if (Topics.matches(filter, topic)) {
                    expected.add(filter);
                }
            }
            assertEquals(sorted(expected), sorted(tree.matches(topic)), topic);
        }
    }

    @Test
    void dollarTopicsOnlyReachFiltersStartingWithALiteral() {
        TopicTree<String> tree = new TopicTree<>();
        for (String f : List.of("#", "+", "+/#", "+/monitor/Clients", "$SYS/#", "$SYS/monitor/+", "$SYS/+/Clients")) {
            tree.add(f, f);
        }
        assertEquals(List.of("$SYS/#", "$SYS/+/Clients", "$SYS/monitor/+"),
                sorted(tree.matches("$SYS/monitor/Clients")));
        assertEquals(List.of("$SYS/#"), tree.matches("$SYS"));
        assertEquals(List.of("#", "+", "+/#"), sorted(tree.matches("SYS")));
        assertEquals(List.of("#", "+/#", "+/monitor/Clients"), sorted(tree.matches("x/monitor/Clients")));
    }

    @Test
    void sameValueUnderOverlappingFiltersIsReportedPerEntry() {
        TopicTree<String> tree = new TopicTree<>();
        tree.add("a/#", "h");
        tree.add("a/+", "h");
        tree.add("a/b", "h");
        tree.add("#", "other");
        assertEquals(List.of("h", "h", "h", "other"), sorted(tree.matches("a/b")));
        assertEquals(List.of("h", "h", "other"), sorted(tree.matches("a/c")));
        assertEquals(List.of("h", "other"), sorted(tree.matches("a")));
        assertEquals(List.of("other"), tree.matches("b"));
        assertEquals(4, tree.size());
    }

    @Test
    void severalValuesUnderOneFilter() {
        TopicTree<String> tree = new TopicTree<>();
        tree.add("a/b", "x");
        tree.add("a/b", "y");
        tree.add("a/b", "z");
        assertEquals(List.of("x", "y", "z"), sorted(tree.matches("a/b")));
        assertTrue(tree.remove("a/b", "y"));
        assertEquals(List.of("x", "z"), sorted(tree.matches("a/b")));
        assertEquals(2, tree.size());
    }

    @Test
    void duplicateEntriesAreKeptAndRemovedOneAtATime() {
        TopicTree<String> tree = new TopicTree<>();
        tree.add("a", "v");
        tree.add("a", "v");
        assertEquals(List.of("v", "v"), tree.matches("a"));
        assertTrue(tree.remove("a", "v"));
        assertEquals(List.of("v"), tree.matches("a"));
        assertTrue(tree.remove("a", "v"));
        assertFalse(tree.remove("a", "v"));
        assertEquals(List.of(), tree.matches("a"));
        assertEquals(1, tree.nodeCount());
    }

    @Test
    void removeComparesValuesWithEquals() {
        TopicTree<String> tree = new TopicTree<>();
        tree.add("a", new String("value"));
        assertTrue(tree.remove("a", new String("value")));
        assertEquals(0, tree.size());
    }

    @Test
    void removeOfMissingEntryChangesNothing() {
        TopicTree<String> tree = new TopicTree<>();
        tree.add("a/+/c", "v");
        assertEquals(4, tree.nodeCount());
        assertFalse(tree.remove("a/+/c", "w"));
        assertFalse(tree.remove("a/+", "v"));
        assertFalse(tree.remove("a/b/c", "v"));
        assertFalse(tree.remove("a/+/c/#", "v"));
        assertFalse(tree.remove("x", "v"));
        assertEquals(4, tree.nodeCount());
        assertEquals(1, tree.size());
        assertEquals(List.of("v"), tree.matches("a/b/c"));
    }

    @Test
    void removePrunesOnlyNodesLeftEmpty() {
        TopicTree<String> tree = new TopicTree<>();
        tree.add("a/b/c", "1");
        assertEquals(4, tree.nodeCount());
        tree.add("a/b", "2");
        tree.add("a/+/#", "3");
        assertEquals(6, tree.nodeCount()); // root, a, b, c, +, #
        assertTrue(tree.remove("a/b/c", "1"));
        assertEquals(5, tree.nodeCount()); // b still holds "2"
        assertEquals(List.of("2", "3"), sorted(tree.matches("a/b")));
        assertTrue(tree.remove("a/+/#", "3"));
        assertEquals(3, tree.nodeCount());
        assertTrue(tree.remove("a/b", "2"));
        assertEquals(1, tree.nodeCount());
        assertEquals(0, tree.size());
    }

    @Test
    void churnOfManyDistinctFiltersLeavesOnlyTheRoot() {
        TopicTree<Integer> tree = new TopicTree<>();
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            tree.add(churnFilter(i), i);
        }
        assertEquals(n, tree.size());
        assertTrue(tree.nodeCount() > n, "nodes: " + tree.nodeCount());
        assertEquals(List.of(12_345), tree.matches("t/12345/x/y"));
        assertEquals(List.of(12_346), tree.matches("t/12346/deep/er"));
        for (int i = 0; i < n; i++) {
            assertTrue(tree.remove(churnFilter(i), i));
        }
        assertEquals(1, tree.nodeCount());
        assertEquals(0, tree.size());
        assertEquals(List.of(), tree.matches("t/12345/x/y"));
    }

    private static String churnFilter(int i) {
        return switch (i % 3) {
            case 0 -> "t/" + i + "/+/y";
            case 1 -> "t/" + i + "/#";
            default -> "t/" + i + "/x/" + (i % 7);
        };
    }

    /**
     * Random filters and topics over a tiny alphabet so that wildcards, empty levels and
     * '$' levels collide often; the tree must agree with the brute-force matcher as a multiset.
     */
    @Test
    void agreesWithBruteForceMatcherOnRandomInput() {
        Random rnd = new Random(0x4D6F7465L);
        String[] filterLevels = {"", "a", "b", "$sys", "+"};
        String[] topicLevels = {"", "a", "b", "$sys", "c"};
        List<String> filters = new ArrayList<>();
        List<Integer> values = new ArrayList<>();
        TopicTree<Integer> tree = new TopicTree<>();
        for (int i = 0; i < 3000; i++) {
            String filter = randomFilter(rnd, filterLevels);
            Topics.validateFilter(filter);
            int value = i % 1000; // each value sits under about three filters
            filters.add(filter);
            values.add(value);
            tree.add(filter, value);
        }
        List<String> topics = new ArrayList<>();
        while (topics.size() < 2000) {
            String topic = randomLevels(rnd, topicLevels, 1 + rnd.nextInt(5));
            if (!topic.isEmpty()) {
                Topics.validateTopicName(topic);
                topics.add(topic);
            }
        }

        int totalMatches = crossCheck(tree, filters, values, topics);
        assertTrue(totalMatches > 50_000, "too few matches to mean anything: " + totalMatches);
        // the input must reach the interesting corners, or agreement proves little
        assertTrue(topics.stream().anyMatch(t -> t.startsWith("$sys/")));
        assertTrue(topics.stream().anyMatch(t -> t.startsWith("/") || t.endsWith("/") || t.contains("//")));
        assertTrue(filters.contains("#") && filters.contains("+") && filters.contains("+/#"));
        assertTrue(filters.stream().anyMatch(f -> f.startsWith("$sys/") && f.endsWith("/#")));

        // Remove a random half, including some repeated (filter, value) pairs, and check again.
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < filters.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, rnd);
        List<String> keptFilters = new ArrayList<>();
        List<Integer> keptValues = new ArrayList<>();
        for (int k = 0; k < order.size(); k++) {
            int i = order.get(k);
            if (k % 2 == 0) {
                assertTrue(tree.remove(filters.get(i), values.get(i)));
            } else {
                keptFilters.add(filters.get(i));
                keptValues.add(values.get(i));
            }
        }
        assertEquals(keptFilters.size(), tree.size());
        crossCheck(tree, keptFilters, keptValues, topics);

        for (int i = 0; i < keptFilters.size(); i++) {
            assertTrue(tree.remove(keptFilters.get(i), keptValues.get(i)));
        }
        assertEquals(1, tree.nodeCount());
        assertEquals(0, tree.size());
    }

    private static int crossCheck(TopicTree<Integer> tree, List<String> filters, List<Integer> values,
            List<String> topics) {
        int total = 0;
        for (String topic : topics) {
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < filters.size(); i++) {
                if (Topics.matches(filters.get(i), topic)) {
                    expected.add(values.get(i));
                }
            }
            assertEquals(sorted(expected), sorted(tree.matches(topic)), topic);
            total += expected.size();
        }
        return total;
    }

    private static String randomFilter(Random rnd, String[] levels) {
        while (true) {
            int depth = rnd.nextInt(5);
            if (depth == 0) {
                return "#";
            }
            String body = randomLevels(rnd, levels, depth);
            if (rnd.nextInt(3) == 0) {
                return body + "/#";
            }
            if (!body.isEmpty()) {
                return body;
            }
        }
    }

    private static String randomLevels(Random rnd, String[] levels, int depth) {
        StringBuilder sb = new StringBuilder();
        for (int d = 0; d < depth; d++) {
            if (d > 0) {
                sb.append('/');
            }
            sb.append(levels[rnd.nextInt(levels.length)]);
        }
        return sb.toString();
    }

    @Test
    void routesLevelsOutsideTheBmp() {
        TopicTree<String> tree = new TopicTree<>();
        tree.add("a/" + EMOJI + "/b", "exact");
        tree.add("a/+/b", "plus");
        tree.add(EMOJI + "/#", "hash");
        tree.add("a/\uD83D\uDE01/b", "other");
        assertEquals(List.of("exact", "plus"), sorted(tree.matches("a/" + EMOJI + "/b")));
        assertEquals(List.of("hash"), tree.matches(EMOJI));
        assertEquals(List.of("hash"), tree.matches(EMOJI + "/x/" + EMOJI));
        assertEquals(List.of("plus"), tree.matches("a/\u00E9/b"));
    }

    @Test
    void actionMayChangeTheTreeDuringTheWalk() {
        TopicTree<String> tree = new TopicTree<>();
        tree.add("a/b", "x");
        tree.add("a/b", "y");
        tree.add("a/+", "z");
        tree.add("#", "w");
        List<String> seen = new ArrayList<>();
        tree.forEachMatch("a/b", v -> {
            if (seen.isEmpty()) {
                tree.add("a/b/c", "new");
            }
            seen.add(v);
            tree.remove("a/b", v);
            tree.remove("a/+", "z");
            tree.remove("#", "w");
        });
        // Which entries the walk still sees after the first call is unspecified; each at most once.
        assertFalse(seen.isEmpty());
        assertEquals(seen.size(), seen.stream().distinct().count(), seen.toString());
        assertTrue(List.of("x", "y", "z", "w").containsAll(seen), seen.toString());
        assertEquals(List.of(), tree.matches("a/b"));
        assertEquals(List.of("new"), tree.matches("a/b/c"));
        assertEquals(1, tree.size());
        assertEquals(4, tree.nodeCount());
    }

    @Test
    void removingTheWholeTreeFromAnActionLeavesItConsistent() {
        TopicTree<Integer> tree = new TopicTree<>();
        List<String> filters = List.of("a/b/c", "a/+/c", "a/#", "+/b/#", "#");
        for (int i = 0; i < filters.size(); i++) {
            tree.add(filters.get(i), i);
        }
        List<Integer> seen = new ArrayList<>();
        tree.forEachMatch("a/b/c", v -> {
            seen.add(v);
            for (int i = 0; i < filters.size(); i++) {
                tree.remove(filters.get(i), i);
            }
        });
        assertFalse(seen.isEmpty());
        assertEquals(1, tree.nodeCount());
        assertEquals(0, tree.size());
    }

    @Test
    void handlesFiltersWithTensOfThousandsOfLevels() {
        int depth = 30_000;
        String literal = String.join("/", Collections.nCopies(depth, "a"));
        String plus = String.join("/", Collections.nCopies(depth, "+"));
        String topic = literal;
        Topics.validateFilter(plus);
        TopicTree<String> tree = new TopicTree<>();
        tree.add(literal, "literal");
        tree.add(plus, "plus");
        tree.add(literal + "/#", "hash");
        assertEquals(List.of("hash", "literal", "plus"), sorted(tree.matches(topic)));
        assertEquals(List.of("hash"), tree.matches(topic + "/a/a"));
        assertEquals(List.of(), tree.matches(topic.substring(2)));
        assertDoesNotThrow(() -> tree.remove(plus, "plus"));
        assertTrue(tree.remove(literal, "literal"));
        assertTrue(tree.remove(literal + "/#", "hash"));
        assertEquals(1, tree.nodeCount());
    }

    @Test
    void emptyTreeMatchesNothing() {
        TopicTree<String> tree = new TopicTree<>();
        assertEquals(List.of(), tree.matches("a"));
        assertEquals(List.of(), tree.matches("$SYS/x"));
        assertEquals(1, tree.nodeCount());
        assertEquals(0, tree.size());
    }

    @Test
    void rejectsNullArguments() {
        TopicTree<String> tree = new TopicTree<>();
        assertThrows(NullPointerException.class, () -> tree.add(null, "v"));
        assertThrows(NullPointerException.class, () -> tree.add("a", null));
        assertThrows(NullPointerException.class, () -> tree.remove(null, "v"));
        assertThrows(NullPointerException.class, () -> tree.remove("a", null));
        assertThrows(NullPointerException.class, () -> tree.matches(null));
        assertThrows(NullPointerException.class, () -> tree.forEachMatch("a", null));
        assertEquals(1, tree.nodeCount());
    }

    private static <T extends Comparable<T>> List<T> sorted(List<T> list) {
        return list.stream().sorted().collect(Collectors.toList());
    }
}
