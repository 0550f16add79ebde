package dev.mote.mqtt.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesEveryKindOfValue() {
        Json.JsonObject o = (Json.JsonObject) Json.parse("""
                {"s": "a\\"b\\\\c\\u00e9\\n", "n": -12.5e1, "z": 0, "t": true, "f": false, "x": null,
                 "a": [1, "two", [], {}], "o": {"k": "v"}}
                """, "t");
        assertEquals("a\"b\\c\u00e9\n", o.get("s"));
        assertEquals(new BigDecimal("-12.5e1"), o.get("n"));
        assertEquals(BigDecimal.ZERO, o.get("z"));
        assertEquals(Boolean.TRUE, o.get("t"));
        assertEquals(Boolean.FALSE, o.get("f"));
        assertSame(Json.NULL, o.get("x"));
        assertEquals(4, ((List<?>) o.get("a")).size());
        assertEquals(Map.of("k", "v"), ((Json.JsonObject) o.get("o")).asMap());
        assertEquals(2, o.members().get(6).line());
    }

    @Test
    void rejectsWhatIsNotStrictJson() {
        for (String bad : List.of("{\"a\": 1,}", "[1, 2,]", "{'a': 1}", "{\"a\": 01}", "{\"a\": 1} x", "// c\n{}",
                "{\"a\": \"tab\there\"}", "{\"a\": \"\\x\"}", "{\"a\": tru}", "{\"a\" 1}", "", "{\"a\": 1, \"a\": 2}",
                "{\"a\": -}", "{\"a\": 1.}", "\"open", "[".repeat(100))) {
            Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse(bad, "src"), bad);
            assertTrue(e.getMessage().startsWith("src, line "), e.getMessage());
        }
    }

    @Test
    void lineNumbersPointAtTheProblem() {
        Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse("{\n\"a\": 1,\n\n\"b\": ?}", "f"));
        assertEquals(4, e.line());
    }

    @Test
    void writesWhatItReads() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("text", "q\"\\\n\u0001");
        m.put("list", List.of("a", "b"));
        m.put("n", 443);
        m.put("b", true);
        Json.JsonObject back = (Json.JsonObject) Json.parse(Json.write(m), "w");
        assertEquals("q\"\\\n\u0001", back.get("text"));
        assertEquals(List.of("a", "b"), back.get("list"));
        assertEquals(new BigDecimal(443), back.get("n"));
    }
}
