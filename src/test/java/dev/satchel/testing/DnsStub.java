package dev.satchel.testing;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tiny authoritative DNS server for tests (RFC 1035 over UDP, on a loopback ephemeral port): it knows one name
 * and answers its A queries with a list of IPv4 addresses that the test may change while it runs, like the
 * headless Service of a Kubernetes StatefulSet whose pods come and go. Every other name is NXDOMAIN; another
 * type for the name is an empty NOERROR answer (the name exists, without such records); an opcode other than
 * QUERY is NOTIMP, a malformed question FORMERR, and what cannot even carry an id is dropped.
 *
 * <p>What a member sends, read in the sources of JGroups 5.5.x and the JDK: DNS_PING asks its resolver for the
 * A records of {@code cluster.dnsQuery} (record type A by default); with {@code cluster.dnsServer} that is
 * {@code DnsServerResolver}, which asks JNDI's DNS provider for the attribute "A" of the name (as JGroups' own
 * {@code AddressedDNSResolver} does). JNDI sends one standard query (RD set, QDCOUNT 1, type A = 1, class IN = 1,
 * the name as given, fully qualified, no EDNS) from a random port, and accepts only a reply from the server it
 * asked, with the same id and the same question.
 * Replies here echo the id, the RD bit and the question as received (same letter case), set QR and AA, and
 * answer with a compression pointer to that question, TTL {@value #TTL_SECONDS} s. An answer that would not fit
 * in 512 bytes is cut to whole records with TC set, as RFC 1035 asks (never the case with a few members).
 */
public final class DnsStub implements AutoCloseable {
    /** TTL of the A records: short, like CoreDNS' default for Kubernetes Services. */
    public static final int TTL_SECONDS = 5;
    private static final int MAX_UDP = 512;
    private static final int TYPE_A = 1;
    private static final int CLASS_IN = 1;
    private static final int QTYPE_ANY = 255;
    private static final int QCLASS_ANY = 255;
    private static final int RCODE_FORMERR = 1;
    private static final int RCODE_NXDOMAIN = 3;
    private static final int RCODE_NOTIMP = 4;

    private final String name;
    private volatile List<Inet4Address> addresses;
    private final DatagramSocket socket;
    private final Thread thread;
    private final List<String> questions = new CopyOnWriteArrayList<>();

    /**
     * Starts answering on 127.0.0.1 at once.
     *
     * @param name      the one name it knows (case-insensitive, with or without the final dot)
     * @param addresses its A records, IPv4 literals such as "127.0.0.2"
     */
    public DnsStub(String name, List<String> addresses) throws IOException {
        this.name = canonical(name);
        answer(addresses);
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = new Thread(this::serve, "dns-stub-" + socket.getLocalPort());
        thread.setDaemon(true);
        thread.start();
    }

    /** From now on the name's A records are these (an empty list: the name exists without any). */
    public void answer(List<String> literals) throws UnknownHostException {
        List<Inet4Address> list = new ArrayList<>();
        for (String a : literals) {
            InetAddress ip = InetAddress.getByName(a);
            if (!(ip instanceof Inet4Address) || !a.equals(ip.getHostAddress())) {
                throw new IllegalArgumentException("not an IPv4 literal: " + a);
            }
            list.add((Inet4Address) ip);
        }
        addresses = List.copyOf(list);
    }

    /** Where it answers, as {@code cluster.dnsServer} takes it: "127.0.0.1:PORT". */
    public String address() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    public int port() {
        return socket.getLocalPort();
    }

    /** Every question answered so far, as "name TYPE-NUMBER", in order (for assertions and failure messages). */
    public List<String> questions() {
        return List.copyOf(questions);
    }

    /** How many A questions for the name it answered. */
    public long answeredQueries() {
        String mine = name + " 1";
        return questions.stream().filter(q -> q.toLowerCase(Locale.ROOT).equals(mine)).count();
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void serve() {
        byte[] in = new byte[MAX_UDP];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(in, in.length);
            try {
                socket.receive(p);
            } catch (SocketException e) {
                return; // closed
            } catch (IOException e) {
                continue;
            }
            byte[] reply = reply(in, p.getLength());
            if (reply != null) {
                try {
                    socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
                } catch (IOException e) {
                    // the asker will retry
                }
            }
        }
    }

    /** The reply to one datagram, or null to drop it. */
    byte[] reply(byte[] q, int length) {
        if (length < 12 || (q[2] & 0x80) != 0) {
            return null; // no header, or a response: never answer those
        }
        int opcode = (q[2] >> 3) & 0x0F;
        int qdcount = ((q[4] & 0xFF) << 8) | (q[5] & 0xFF);
        if (opcode != 0) {
            return header(q, RCODE_NOTIMP, 0, 0, false);
        }
        // exactly one question: QNAME as labels (no compression in a question), then QTYPE and QCLASS
        int pos = 12;
        StringBuilder qname = new StringBuilder();
        while (qdcount == 1 && pos < length && q[pos] != 0) {
            int len = q[pos] & 0xFF;
            if (len > 63 || pos + 1 + len >= length) {
                qdcount = -1; // a pointer or a label past the end
                break;
            }
            if (qname.length() > 0) {
                qname.append('.');
            }
            qname.append(new String(q, pos + 1, len, java.nio.charset.StandardCharsets.ISO_8859_1));
            pos += 1 + len;
        }
        int questionEnd = pos + 5; // the root label, QTYPE, QCLASS
        if (qdcount != 1 || questionEnd > length) {
            return header(q, RCODE_FORMERR, 0, 0, false);
        }
        int qtype = ((q[pos + 1] & 0xFF) << 8) | (q[pos + 2] & 0xFF);
        int qclass = ((q[pos + 3] & 0xFF) << 8) | (q[pos + 4] & 0xFF);
        questions.add(qname + " " + qtype);
        ByteBuffer out = ByteBuffer.allocate(MAX_UDP);
        out.put(q, 0, 12);
        out.put(q, 12, questionEnd - 12);
        boolean known = canonical(qname.toString()).equals(name) && (qclass == CLASS_IN || qclass == QCLASS_ANY);
        int answers = 0;
        boolean truncated = false;
        if (known && (qtype == TYPE_A || qtype == QTYPE_ANY)) {
            for (Inet4Address a : addresses) {
                if (out.remaining() < 16) {
                    truncated = true;
                    break;
                }
                out.putShort((short) 0xC00C); // the name: a pointer to the question's
                out.putShort((short) TYPE_A).putShort((short) CLASS_IN).putInt(TTL_SECONDS).putShort((short) 4);
                out.put(a.getAddress());
                answers++;
            }
        }
        byte[] reply = new byte[out.position()];
        out.flip().get(reply);
        byte[] head = header(q, known ? 0 : RCODE_NXDOMAIN, 1, answers, truncated);
        System.arraycopy(head, 0, reply, 0, 12);
        return reply;
    }

    /** A response header for the query in {@code q}: its id, opcode and RD echoed; QR and AA set; no RA. */
    private static byte[] header(byte[] q, int rcode, int qdcount, int ancount, boolean truncated) {
        byte[] h = new byte[12];
        h[0] = q[0];
        h[1] = q[1];
        h[2] = (byte) (0x80 | (q[2] & 0x78) | 0x04 | (truncated ? 0x02 : 0) | (q[2] & 0x01));
        h[3] = (byte) rcode;
        h[5] = (byte) qdcount;
        h[6] = (byte) (ancount >> 8);
        h[7] = (byte) ancount;
        return h;
    }

    private static String canonical(String n) {
        String t = n.toLowerCase(Locale.ROOT);
        return t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
    }
}
