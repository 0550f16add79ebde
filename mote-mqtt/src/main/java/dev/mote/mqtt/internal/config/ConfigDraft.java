package dev.mote.mqtt.internal.config;

import dev.mote.mqtt.CloudProfile;
import dev.mote.mqtt.ConfigException;
import dev.mote.mqtt.MqttOptions;
import dev.mote.mqtt.OfflinePolicy;
import dev.mote.mqtt.Qos;
import dev.mote.mqtt.ReconnectPolicy;
import dev.mote.mqtt.TlsConfig;
import dev.mote.mqtt.Will;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;

/**
 * What the keys set, gathered so that settings that belong together (certificate and key, the
 * reconnect bounds, the will's parts) become one builder call at {@link #finish()}.
 */
public final class ConfigDraft {
    final MqttOptions.Builder builder;
    final String urlUser;
    final String urlPassword;
    String username;
    String password;
    Boolean reconnect;
    Duration reconnectMinDelay;
    Duration reconnectMaxDelay;
    Integer reconnectMaxAttempts;
    Integer offlineMessages;
    Long offlineBytes;
    OfflinePolicy offlinePolicy;
    ConfigValue ca;
    ConfigValue cert;
    ConfigValue key;
    ConfigValue pkcs12;
    ConfigValue pkcs12Password;
    ConfigValue alpn;
    ConfigValue noHostnameVerification;
    ConfigValue willTopic;
    String willPayload;
    Qos willQos;
    Boolean willRetain;
    ConfigValue passwordGiven;
    ConfigValue profile;
    ConfigValue azureDeviceKey;
    String clientId;
    /** The values of grouped keys, by key name, to say where a bad combination was given. */
    private final java.util.Map<String, ConfigValue> given = new java.util.HashMap<>();

    <T> T remember(ConfigValue v, T value) {
        given.put(v.key().name(), v);
        return value;
    }

    private ConfigException error(String key, String problem) {
        ConfigValue v = given.get(key);
        return v != null ? v.error(problem) : new ConfigException(key, null, problem);
    }

    /** Whether the URL or an alternate is mqtts:// or wss:// (TLS keys apply only then). */
    boolean tlsUrl;

    ConfigDraft(MqttOptions.Builder builder, String urlUser, String urlPassword) {
        this.builder = builder;
        this.urlUser = urlUser;
        this.urlPassword = urlPassword;
    }

    MqttOptions.Builder finish() {
        if (username != null || password != null) {
            String user = username != null ? username : urlUser;
            if (user == null) {
                throw passwordGiven.error("a password needs a user name (MQTT 3.1.1): set username");
            }
            String pass = password != null ? password : urlPassword;
            builder.credentials(user, pass == null ? null : pass.getBytes(StandardCharsets.UTF_8));
        }
        if (reconnect != null || reconnectMinDelay != null || reconnectMaxDelay != null || reconnectMaxAttempts != null) {
            ReconnectPolicy d = ReconnectPolicy.defaults();
            try {
                builder.reconnect(new ReconnectPolicy(reconnect == null || reconnect,
                        reconnectMinDelay != null ? reconnectMinDelay : d.minDelay(),
                        reconnectMaxDelay != null ? reconnectMaxDelay : d.maxDelay(),
                        reconnectMaxAttempts != null ? reconnectMaxAttempts : 0));
            } catch (IllegalArgumentException e) {
                throw error(reconnectMaxAttempts != null && reconnectMaxAttempts < 0 ? "reconnectMaxAttempts"
                        : reconnectMinDelay != null ? "reconnectMinDelay" : "reconnectMaxDelay", e.getMessage());
            }
        }
        if (offlineMessages != null || offlineBytes != null || offlinePolicy != null) {
            MqttOptions defaults = MqttOptions.builder("mqtt://localhost").build();
            try {
                builder.offlineBuffer(offlineMessages != null ? offlineMessages : defaults.offlineMessages(),
                        offlineBytes != null ? offlineBytes : defaults.offlineBytes(),
                        offlinePolicy != null ? offlinePolicy : defaults.offlinePolicy());
            } catch (IllegalArgumentException e) {
                throw error(offlineBytes != null && offlineBytes < 0 ? "offlineBytes" : "offlineMessages", e.getMessage());
            }
        }
        if (willTopic != null) {
            Will w = Will.of(willTopic.text(), willPayload != null ? willPayload : "",
                    willQos != null ? willQos : Qos.AT_MOST_ONCE, willRetain != null && willRetain);
            try {
                builder.will(w);
            } catch (IllegalArgumentException e) {
                throw willTopic.error(e.getMessage());
            }
        } else if (willPayload != null || willQos != null || willRetain != null) {
            throw error(willPayload != null ? "willPayload" : willQos != null ? "willQos" : "willRetain",
                    "willPayload, willQos and willRetain need a willTopic");
        }
        if (profile != null) {
            builder.profile(profile());
        } else if (azureDeviceKey != null) {
            throw azureDeviceKey.error("azureDeviceKey needs profile = azure");
        }
        TlsConfig tls = tls();
        if (tls != null) {
            if (!tlsUrl) {
                ConfigValue first = ca != null ? ca : cert != null ? cert : pkcs12 != null ? pkcs12 : alpn != null ? alpn
                        : noHostnameVerification;
                throw first.error("TLS settings need an mqtts:// or wss:// url");
            }
            builder.tls(tls);
        }
        return builder;
    }

    private CloudProfile profile() {
        String name = profile.text().trim().toLowerCase(java.util.Locale.ROOT);
        if (!name.equals("azure") && azureDeviceKey != null) {
            throw azureDeviceKey.error("azureDeviceKey needs profile = azure");
        }
        try {
            return switch (name) {
                case "aws" -> CloudProfile.awsIotCore();
                case "aws-custom-auth" -> CloudProfile.awsIotCore().withAuth(CloudProfile.AwsIotCore.Auth.CUSTOM_AUTHORIZER);
                case "azure" -> {
                    if (clientId == null || clientId.isEmpty()) {
                        throw profile.error("profile azure needs clientId (the device id)");
                    }
                    yield azureDeviceKey != null ? CloudProfile.azureIotHub(clientId, azureDeviceKey.secret())
                            : CloudProfile.azureIotHubX509(clientId);
                }
                default -> throw profile.error("unknown profile; use aws, aws-custom-auth or azure");
            };
        } catch (ConfigException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            // The message says what is wrong without the key's value (CloudProfile never quotes it).
            throw (azureDeviceKey != null ? azureDeviceKey : profile).error(e.getMessage());
        }
    }

    private TlsConfig tls() {
        if (ca == null && cert == null && key == null && pkcs12 == null && alpn == null && noHostnameVerification == null) {
            if (pkcs12Password != null) {
                throw pkcs12Password.error("a PKCS#12 password needs pkcs12 (the file)");
            }
            return null;
        }
        TlsConfig.Builder b = TlsConfig.builder();
        if (ca != null) {
            ConfigValue.Pem pem = ca.pem();
            try {
                if (pem.file() != null) {
                    b.trustPem(pem.file());
                } else {
                    b.trustPemText(pem.text(), pem.source());
                }
            } catch (IllegalArgumentException e) {
                throw ca.error(e.getMessage());
            }
        }
        if ((cert == null) != (key == null)) {
            throw cert == null ? key.error("a private key needs its certificate: set cert as well")
                    : cert.error("a client certificate needs its private key: set key as well");
        }
        if (cert != null) {
            if (pkcs12 != null) {
                throw pkcs12.error("give the client identity as cert and key or as pkcs12, not both");
            }
            ConfigValue.Pem c = cert.pem();
            ConfigValue.Pem k = key.pem();
            try {
                if (c.file() != null && k.file() != null) {
                    b.clientCertificate(c.file(), k.file());
                } else {
                    b.clientCertificateText(c.file() != null ? read(c) : c.text(), k.file() != null ? read(k) : k.text(),
                            c.source());
                }
            } catch (IllegalArgumentException e) {
                throw cert.error(e.getMessage());
            }
        }
        if (pkcs12 != null) {
            if (pkcs12Password == null) {
                throw pkcs12.error("a PKCS#12 file needs pkcs12Password (or pkcs12PasswordFile, pkcs12PasswordEnv)");
            }
            try {
                b.clientPkcs12(pkcs12.path(), pkcs12Password.secret().toCharArray());
            } catch (ConfigException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                throw pkcs12.error(e.getMessage());
            }
        } else if (pkcs12Password != null) {
            throw pkcs12Password.error("a PKCS#12 password needs pkcs12 (the file)");
        }
        if (alpn != null) {
            try {
                b.alpn(alpn.list().toArray(String[]::new));
            } catch (IllegalArgumentException e) {
                throw alpn.error(e.getMessage());
            }
        }
        if (noHostnameVerification != null) {
            b.dangerouslyDisableHostnameVerification();
        }
        return b.build();
    }

    private static String read(ConfigValue.Pem pem) {
        try {
            return Files.readString(pem.file(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read " + pem.file());
        }
    }
}
