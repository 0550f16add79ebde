package dev.mote.mqtt.internal.config;

import dev.mote.mqtt.ConfigException;
import dev.mote.mqtt.MqttOptions;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a URL, a file and environment variables into an {@link MqttOptions.Builder}. Layers, from
 * lowest to highest precedence: the query of the URL, the file, the {@code MOTE_*} environment
 * variables. A layer that sets any variant of a key ({@code password}, {@code passwordFile},
 * {@code passwordEnv}) replaces every variant of it from lower layers; giving two variants in one
 * layer is an error.
 */
public final class ConfigLoader {
    /** The prefix of the environment variables read as options. */
    public static final String ENV_PREFIX = "MOTE_";

    private ConfigLoader() {}

    /** One key as given in one layer. */
    private record Entry(String name, Object raw, String where, Path baseDir) {}

    /**
     * Loads the layers. {@code url} (may be null) is the lowest layer's URL; {@code file} (may be
     * null) is JSON ({@code .json}) or properties (any other name); {@code envLayer} says whether the
     * {@code MOTE_*} variables of {@code env} are a layer (they are always what {@code ...Env} keys read).
     */
    public static MqttOptions.Builder load(String url, Path file, Map<String, String> env, boolean envLayer) {
        Map<String, Entry> merged = new LinkedHashMap<>();
        List<Map<String, Entry>> layers = new ArrayList<>();
        Map<String, Entry> fileLayer = file == null ? Map.of() : fileLayer(file);
        Map<String, Entry> envEntries = envLayer ? envLayer(env) : Map.of();
        Entry urlEntry = envEntries.get(ConfigKeys.URL_KEY);
        if (urlEntry == null) {
            urlEntry = fileLayer.get(ConfigKeys.URL_KEY);
        }
        if (urlEntry == null && url != null) {
            urlEntry = new Entry(ConfigKeys.URL_KEY, url, "the URL", null);
        }
        if (urlEntry == null) {
            throw new ConfigException(ConfigKeys.URL_KEY, file != null ? file.toString() : null,
                    "no broker URL: set url" + (envLayer ? " (or " + ConfigKeys.envName(ConfigKeys.URL_KEY) + ")" : ""));
        }
        if (!(urlEntry.raw() instanceof String fullUrl)) {
            throw new ConfigException(ConfigKeys.URL_KEY, urlEntry.where(), "expected text");
        }
        int q = fullUrl.indexOf('?');
        String baseUrl = q < 0 ? fullUrl : fullUrl.substring(0, q);
        layers.add(q < 0 ? Map.of() : queryLayer(fullUrl.substring(q + 1), urlEntry.where()));
        layers.add(fileLayer);
        layers.add(envEntries);
        for (Map<String, Entry> layer : layers) {
            for (Entry e : layer.values()) {
                ConfigKeys.Key key = ConfigKeys.find(e.name());
                if (key.name().equals(ConfigKeys.URL_KEY)) {
                    continue;
                }
                merged.put(key.name(), e);
            }
        }
        MqttOptions.Builder builder;
        try {
            builder = MqttOptions.builder(baseUrl);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(ConfigKeys.URL_KEY, urlEntry.where(), "not a usable broker URL: " + e.getMessage());
        }
        String[] userInfo = userInfo(baseUrl);
        ConfigDraft draft = new ConfigDraft(builder, userInfo[0], userInfo[1]);
        draft.tlsUrl = ConfigKeys.isTlsUrl(baseUrl);
        for (ConfigKeys.Key key : ConfigKeys.KEYS) {
            Entry e = merged.get(key.name());
            if (e == null) {
                continue;
            }
            ConfigValue v = value(key, e, env);
            try {
                key.apply().accept(draft, v);
            } catch (ConfigException ex) {
                throw ex;
            } catch (IllegalArgumentException ex) {
                throw v.error(key.quotable() ? ex.getMessage() : "not a valid value");
            }
        }
        return draft.finish();
    }

    private static ConfigValue value(ConfigKeys.Key key, Entry e, Map<String, String> env) {
        Object raw = e.raw();
        String text;
        List<String> list;
        if (raw instanceof List<?> items) {
            list = new ArrayList<>();
            for (Object o : items) {
                if (!(o instanceof String s)) {
                    throw new ConfigException(e.name(), e.where(), "a list must hold text only");
                }
                list.add(s);
            }
            if (key.type() != ConfigKeys.Type.LIST) {
                throw new ConfigException(e.name(), e.where(), "expected a single value, not a list");
            }
            text = null;
        } else {
            text = switch (raw) {
                case String s -> s;
                case BigDecimal d -> d.toPlainString();
                case Boolean b -> b.toString();
                default -> throw new ConfigException(e.name(), e.where(),
                        raw == Json.NULL ? "null is not a value; leave the key out" : "expected a value, not an object");
            };
            list = new ArrayList<>();
            for (String part : text.split(",", -1)) {
                if (!part.isBlank()) {
                    list.add(part.strip());
                }
            }
        }
        return new ConfigValue(key, e.name(), text, List.copyOf(list), e.where(), e.baseDir(), env);
    }

    private static String[] userInfo(String url) {
        try {
            String info = new java.net.URI(url).getUserInfo();
            if (info == null) {
                return new String[2];
            }
            int colon = info.indexOf(':');
            return colon < 0 ? new String[] {info, null} : new String[] {info.substring(0, colon), info.substring(colon + 1)};
        } catch (java.net.URISyntaxException e) {
            return new String[2];
        }
    }

    // ---------------------------------------------------------------- layers

    /** Adds one entry to a layer: the name must be known, and the layer must not already hold a variant of its key. */
    private static void put(Map<String, Entry> layer, Entry e) {
        ConfigKeys.Key key = ConfigKeys.find(e.name());
        if (key == null) {
            throw new ConfigException(e.name(), e.where(), "unknown key" + suggestion(e.name()));
        }
        for (Entry other : layer.values()) {
            if (ConfigKeys.find(other.name()) == key) {
                throw new ConfigException(e.name(), e.where(), other.name().equals(e.name())
                        ? "given twice (also " + other.where() + ")"
                        : "conflicts with " + other.name() + " (" + other.where() + "); give one of them");
            }
        }
        layer.put(e.name(), e);
    }

    private static String suggestion(String name) {
        for (String n : ConfigKeys.allNames()) {
            if (n.equalsIgnoreCase(name)) {
                return "; did you mean " + n + "? (keys are case-sensitive)";
            }
        }
        return "; known keys: " + String.join(", ", ConfigKeys.allNames());
    }

    private static Map<String, Entry> queryLayer(String query, String where) {
        Map<String, Entry> layer = new LinkedHashMap<>();
        if (query.isEmpty()) {
            return layer;
        }
        for (String pair : query.split("&", -1)) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                // Named only if it is a known key: an unknown word may be a secret given without its name.
                String name = eq < 0 && ConfigKeys.find(decode(pair)) != null ? decode(pair) : null;
                throw new ConfigException(name, "query of " + where,
                        eq < 0 ? "a query parameter needs a value (name=value)" : "a query parameter without a name");
            }
            String name = decode(pair.substring(0, eq));
            put(layer, new Entry(name, decode(pair.substring(eq + 1)), "query of " + where, null));
        }
        return layer;
    }

    /** Percent-decoding as in URIs ({@code +} stays a plus). */
    private static String decode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        byte[] out = new byte[s.length()];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length()
                    && Character.digit(s.charAt(i + 1), 16) >= 0 && Character.digit(s.charAt(i + 2), 16) >= 0) {
                out[n++] = (byte) Integer.parseInt(s.substring(i + 1, i + 3), 16);
                i += 2;
            } else if (c < 0x80) {
                out[n++] = (byte) c;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                byte[] grown = java.util.Arrays.copyOf(out, out.length + b.length);
                System.arraycopy(b, 0, grown, n, b.length);
                out = grown;
                n += b.length;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    private static Map<String, Entry> envLayer(Map<String, String> env) {
        Map<String, String> byEnvName = new HashMap<>();
        for (String name : ConfigKeys.allNames()) {
            byEnvName.put(ConfigKeys.envName(name), name);
        }
        Map<String, Entry> layer = new LinkedHashMap<>();
        env.keySet().stream().filter(k -> k.startsWith(ENV_PREFIX)).sorted().forEach(var -> {
            String name = byEnvName.get(var);
            String where = "environment variable " + var;
            if (name == null) {
                throw new ConfigException(var, where, "not a Mote option; the " + ENV_PREFIX
                        + "* variables are options (e.g. MOTE_URL, MOTE_CLIENT_ID, MOTE_KEEP_ALIVE)");
            }
            put(layer, new Entry(name, env.get(var), where, null));
        });
        return layer;
    }

    private static Map<String, Entry> fileLayer(Path file) {
        String text = readUtf8(file);
        Path dir = file.toAbsolutePath().getParent();
        Map<String, Entry> layer = new LinkedHashMap<>();
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".json")) {
            Object root;
            try {
                root = Json.parse(text, file.toString());
            } catch (Json.JsonException e) {
                throw new ConfigException(null, null, e.getMessage());
            }
            if (!(root instanceof Json.JsonObject obj)) {
                throw new ConfigException(null, file.toString(), "expected a JSON object of keys and values");
            }
            for (Json.Member m : obj.members()) {
                put(layer, new Entry(m.key(), m.value(), file + ", line " + m.line(), dir));
            }
        } else {
            for (PropertiesReader.Line l : PropertiesReader.read(text, file.toString())) {
                put(layer, new Entry(l.key(), l.value(), file + ", line " + l.line(), dir));
            }
        }
        return layer;
    }

    private static String readUtf8(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            throw new ConfigException(null, file.toString(), "cannot read the configuration file: no such file");
        } catch (AccessDeniedException e) {
            throw new ConfigException(null, file.toString(), "cannot read the configuration file: permission denied");
        } catch (CharacterCodingException e) {
            throw new ConfigException(null, file.toString(), "the configuration file is not UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException(null, file.toString(), "cannot read the configuration file"
                    + (Files.isDirectory(file) ? ": it is a directory" : ""));
        }
    }
}
