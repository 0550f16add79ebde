package dev.mote.mqtt.internal.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mote.mqtt.internal.tls.Der.DerException;
import java.math.BigInteger;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class DerTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void objectIdentifiersRoundTrip() throws DerException {
        // X.690 example and the OIDs the key formats use.
        assertEquals("06062a864886f70d", HEX.formatHex(Der.oid("1.2.840.113549")));
        assertEquals("06072a8648ce3d0201", HEX.formatHex(Der.oid("1.2.840.10045.2.1")));
        for (String oid : List.of("1.2.840.113549.1.1.1", "1.2.840.10045.3.1.7", "1.3.132.0.34", "1.3.101.112", "2.999.3")) {
            assertEquals(oid, Der.read(Der.oid(oid)).oid());
        }
    }

    @Test
    void lengthsUseShortAndLongForm() throws DerException {
        assertEquals("0403010203", HEX.formatHex(Der.octetString(new byte[] {1, 2, 3})));
        byte[] l200 = Der.octetString(new byte[200]);
        assertEquals("0481c8", HEX.formatHex(l200, 0, 3));
        byte[] l300 = Der.octetString(new byte[300]);
        assertEquals("0482012c", HEX.formatHex(l300, 0, 4));
        byte[] l70k = Der.octetString(new byte[70_000]);
        assertEquals("0483011170", HEX.formatHex(l70k, 0, 5));
        assertEquals(70_000, Der.read(l70k).length());
    }

    @Test
    void integersAreMinimalTwosComplement() throws DerException {
        assertEquals("020100", HEX.formatHex(Der.integer(0)));
        assertEquals("02020080", HEX.formatHex(Der.integer(128)));
        assertEquals(new BigInteger("-129"), Der.read(Der.integer(-129)).integer());
    }

    @Test
    void sequencesNest() throws DerException {
        byte[] seq = Der.sequence(Der.integer(0), Der.sequence(Der.oid("1.2.840.113549.1.1.1"), Der.nullValue()));
        assertEquals("3012020100300d06092a864886f70d0101010500", HEX.formatHex(seq));
        List<Der.Tlv> children = Der.read(seq).children();
        assertEquals(2, children.size());
        assertEquals("1.2.840.113549.1.1.1", children.get(1).children().get(0).oid());
        assertArrayEquals(new byte[0], children.get(1).children().get(1).value());
    }

    @Test
    void rejectsWhatIsNotOneDerValue() {
        assertThrows(DerException.class, () -> Der.read(HEX.parseHex("020100ff")));        // trailing byte
        assertThrows(DerException.class, () -> Der.read(HEX.parseHex("0405010203")));      // truncated value
        assertThrows(DerException.class, () -> Der.read(HEX.parseHex("3080020100")));      // indefinite length (BER)
        assertThrows(DerException.class, () -> Der.read(HEX.parseHex("04850100000000")));  // 5 length bytes
        assertThrows(DerException.class, () -> Der.read(HEX.parseHex("1f0100")));          // multi-byte tag
        assertThrows(DerException.class, () -> Der.read(HEX.parseHex("02")));              // no length
        DerException e = assertThrows(DerException.class, () -> Der.read(HEX.parseHex("020101")).oid());
        assertEquals("expected OBJECT IDENTIFIER but found INTEGER", e.getMessage());
    }
}
