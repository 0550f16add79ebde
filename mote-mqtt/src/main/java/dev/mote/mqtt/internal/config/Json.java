package dev.mote.mqtt.internal.config;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON reader and writer (RFC 8259): objects become {@link Map}s in file order
 * (a key given twice is an error, not "last wins"), arrays {@link List}s, strings {@link String},
 * numbers {@link BigDecimal}, {@code true}/{@code false} {@link Boolean}, and {@code null}
 * {@link #NULL}. No comments, no trailing commas, nothing after the value but white space. Every
 * object member remembers the line its value starts on, for error messages ({@link Member#line()}).
 */
public final class Json {
    /** The JSON {@code null} (maps cannot hold Java null usefully). */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** Thrown for text that is not JSON; the message names the source and line. */
    public static final class JsonException extends IllegalArgumentException {
        private final int line;

        JsonException(String message, int line) {
            super(message);
            this.line = line;
        }

        /** The line (from 1) where the problem is. */
        public int line() {
            return line;
        }
    }

    /** An object's members with the line each value starts on. */
    public record Member(String key, Object value, int line) {}

    /** An object: its members in order; {@link #asMap()} for the values alone. */
    public record JsonObject(List<Member> members, int line) {
        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Member mem : members) {
                m.put(mem.key(), mem.value());
            }
            return Collections.unmodifiableMap(m);
        }

        public Object get(String key) {
            for (Member mem : members) {
                if (mem.key().equals(key)) {
                    return mem.value();
                }
            }
            return null;
        }
    }

    private final String text;
    private final String source;
    private int pos;
    private int line = 1;
    private int depth;

    private Json(String text, String source) {
        this.text = text;
        this.source = source;
    }

    /** Parses one JSON value; {@code source} names the text in messages (a file name). */
    public static Object parse(String text, String source) {
        Json p = new Json(text, source);
        p.skipSpace();
        Object v = p.value();
        p.skipSpace();
        if (p.pos < text.length()) {
            throw p.error("unexpected " + p.describeHere() + " after the end of the JSON value");
        }
        return v;
    }

    private Object value() {
        if (pos >= text.length()) {
            throw error("the text ends where a value was expected");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object();
            case '[' -> array();
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", NULL);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("expected a value but found " + describeHere());
            }
        };
    }

    private JsonObject object() {
        int startLine = line;
        enter();
        pos++;
        List<Member> members = new ArrayList<>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            depth--;
            return new JsonObject(List.copyOf(members), startLine);
        }
        while (true) {
            skipSpace();
            if (peek() != '"') {
                throw error("expected a member name in double quotes but found " + describeHere());
            }
            int keyLine = line;
            String key = string();
            for (Member m : members) {
                if (m.key().equals(key)) {
                    throw new JsonException(source + ", line " + keyLine + ": \"" + key + "\" is given twice (first at line "
                            + m.line() + ")", keyLine);
                }
            }
            skipSpace();
            expect(':');
            skipSpace();
            int valueLine = line;
            Object v = value();
            members.add(new Member(key, v, valueLine));
            skipSpace();
            char c = peek();
            pos++;
            if (c == '}') {
                depth--;
                return new JsonObject(List.copyOf(members), startLine);
            }
            if (c != ',') {
                pos--;
                throw error("expected , or } but found " + describeHere());
            }
        }
    }

    private List<Object> array() {
        enter();
        pos++;
        List<Object> items = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            depth--;
            return Collections.unmodifiableList(items);
        }
        while (true) {
            skipSpace();
            items.add(value());
            skipSpace();
            char c = peek();
            pos++;
            if (c == ']') {
                depth--;
                return Collections.unmodifiableList(items);
            }
            if (c != ',') {
                pos--;
                throw error("expected , or ] but found " + describeHere());
            }
        }
    }

    private void enter() {
        if (++depth > 64) {
            throw error("nested more than 64 levels deep");
        }
    }

    private String string() {
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("a string is not closed before the end of the text");
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                pos--;
                throw error("a control character (U+" + String.format("%04X", (int) c) + ") inside a string must be escaped");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= text.length()) {
                throw error("a string is not closed before the end of the text");
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw error("a \\u escape needs four hex digits");
                    }
                    int cp = 0;
                    for (int i = 0; i < 4; i++) {
                        int d = Character.digit(text.charAt(pos + i), 16);
                        if (d < 0) {
                            throw error("a \\u escape needs four hex digits");
                        }
                        cp = cp * 16 + d;
                    }
                    pos += 4;
                    sb.append((char) cp);
                }
                default -> {
                    pos--;
                    throw error("\\" + e + " is not a JSON escape");
                }
            }
        }
    }

    private BigDecimal number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw error("a number needs digits after the minus sign");
        }
        if (peek() == '.') {
            pos++;
            if (!isDigit(peek())) {
                throw error("a number needs digits after the decimal point");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("a number needs digits in its exponent");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (isDigit(peek())) {
            throw error("a number may not have leading zeros");
        }
        return new BigDecimal(text.substring(start, pos));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private Object literal(String word, Object v) {
        if (!text.startsWith(word, pos)) {
            throw error("expected a value but found " + describeHere());
        }
        pos += word.length();
        return v;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected " + c + " but found " + describeHere());
        }
        pos++;
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '\n') {
                line++;
            } else if (c != ' ' && c != '\t' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    /** Names what is at the current position without quoting much of the text (it may hold a secret). */
    private String describeHere() {
        if (pos >= text.length()) {
            return "the end of the text";
        }
        char c = text.charAt(pos);
        if (c == '/' && pos + 1 < text.length() && (text.charAt(pos + 1) == '/' || text.charAt(pos + 1) == '*')) {
            return "a comment (JSON has none)";
        }
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : "U+" + String.format("%04X", (int) c);
    }

    private JsonException error(String what) {
        return new JsonException(source + ", line " + line + ": " + what, line);
    }

    // ---------------------------------------------------------------- writing

    /** Writes a value (Map, List, String, Number, Boolean, {@link #NULL} or null) as indented JSON. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, "");
        return sb.append('\n').toString();
    }

    private static void write(StringBuilder sb, Object v, String indent) {
        switch (v) {
            case null -> sb.append("null");
            case String s -> quote(sb, s);
            case Boolean b -> sb.append(b);
            case BigDecimal d -> sb.append(d.toString());
            case Number n -> sb.append(n);
            case Map<?, ?> m -> {
                if (m.isEmpty()) {
                    sb.append("{}");
                    return;
                }
                sb.append("{\n");
                int i = 0;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    sb.append(indent).append("  ");
                    quote(sb, String.valueOf(e.getKey()));
                    sb.append(": ");
                    write(sb, e.getValue(), indent + "  ");
                    sb.append(++i < m.size() ? ",\n" : "\n");
                }
                sb.append(indent).append('}');
            }
            case List<?> l -> {
                sb.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) {
                        sb.append(", ");
                    }
                    write(sb, l.get(i), indent);
                }
                sb.append(']');
            }
            default -> {
                if (v == NULL) {
                    sb.append("null");
                } else {
                    throw new IllegalArgumentException("cannot write a " + v.getClass().getName() + " as JSON");
                }
            }
        }
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
