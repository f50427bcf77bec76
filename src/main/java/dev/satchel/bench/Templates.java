package dev.satchel.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * Pre-encoded request pieces shared by all connections. A request is {@code prefix + variable + suffix}, where the
 * variable part is a key name or a token; prefixes that contain a connection's token are built once per
 * connection with {@link #setPrefix(byte[])} and {@link #getPrefix(byte[])}.
 */
final class Templates {

    final byte[][] keys;
    /** Ends SH_SET and KV_SET: quote, colon, the quoted value, three closing braces. */
    final byte[] setSuffix;
    /** Ends SH_GET and KV_GET: quote, bracket, two closing braces. */
    final byte[] getSuffix = ascii("\"]}}");
    final byte[] kvSetPrefix = ascii("{\"KV_SET\":{\"keys\":{\"");
    final byte[] kvGetPrefix = ascii("{\"KV_GET\":{\"keys\":[\"");
    final byte[] newRequest = ascii("{\"SH_NEW\":{}}");
    final byte[] endPrefix = ascii("{\"SH_END\":{\"tkn\":");
    final byte[] endSuffix = ascii("}}");

    /**
     * @param keyspace  number of keys, named {@code k0} to {@code k<keyspace-1>}
     * @param valueSize bytes of the value ({@code v} repeated)
     */
    Templates(int keyspace, int valueSize) {
        keys = new byte[keyspace][];
        for (int i = 0; i < keyspace; i++) {
            keys[i] = ascii("k" + i);
        }
        setSuffix = ascii("\":\"" + "v".repeat(valueSize) + "\"}}}");
    }

    /** The start of an SH_SET with this token, up to the opening quote of the key. */
    byte[] setPrefix(byte[] token) {
        return concat(ascii("{\"SH_SET\":{\"tkn\":"), token, ascii(",\"keys\":{\""));
    }

    /** The start of an SH_GET with this token, up to the opening quote of the key. */
    byte[] getPrefix(byte[] token) {
        return concat(ascii("{\"SH_GET\":{\"tkn\":"), token, ascii(",\"keys\":[\""));
    }

    private static byte[] concat(byte[] a, byte[] b, byte[] c) {
        byte[] out = new byte[a.length + b.length + c.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        System.arraycopy(c, 0, out, a.length + b.length, c.length);
        return out;
    }

    static byte[] ascii(String s) {
        return s.getBytes(UTF_8);
    }
}
