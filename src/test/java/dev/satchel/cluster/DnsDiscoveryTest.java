package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.config.ServerConfig;
import dev.satchel.testing.DnsStub;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.jgroups.Address;
import org.jgroups.protocols.dns.DNSResolver;
import org.jgroups.stack.IpAddress;
import org.junit.jupiter.api.Test;

/**
 * DNS discovery's lookup without a cluster: the tests' DNS server ({@link DnsStub}) on the wire, and the resolver
 * {@link ClusterStack} gives DNS_PING for {@code cluster.dnsServer} asking it. The members themselves meet
 * through it in {@link DnsDiscoveryClusterTest}.
 */
class DnsDiscoveryTest {
    private static final String NAME = "satchel-cluster.ns.svc.cluster.local";

    @Test
    void theResolverOfClusterDnsServerAsksThatServerAfreshEveryTime() throws Exception {
        try (DnsStub dns = new DnsStub(NAME, List.of("127.0.0.1", "127.0.0.2", "127.0.0.3"))) {
            DNSResolver resolver = new DnsServerResolver(new ServerConfig.HostPort("127.0.0.1", dns.port()));
            try {
                assertThat(ips(resolver.resolveIps(NAME, DNSResolver.DNSRecordType.A)))
                        .containsExactly("127.0.0.1", "127.0.0.2", "127.0.0.3");
                assertThat(dns.questions()).as("what JGroups asked").containsExactly(NAME + " 1");
                // a member more (a pod scheduled): seen at the next lookup, no cache in between
                dns.answer(List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"));
                assertThat(ips(resolver.resolveIps(NAME, DNSResolver.DNSRecordType.A))).hasSize(4)
                        .contains("127.0.0.4");
                assertThat(ips(resolver.resolveIps("SATCHEL-Cluster.ns.svc.cluster.local",
                        DNSResolver.DNSRecordType.A))).as("names are case-insensitive").hasSize(4);
                // NXDOMAIN and an empty answer: nobody to ask, not an error that stops discovery
                assertThat(resolver.resolveIps("other.ns.svc.cluster.local", DNSResolver.DNSRecordType.A)).isEmpty();
                dns.answer(List.of());
                assertThat(resolver.resolveIps(NAME, DNSResolver.DNSRecordType.A)).isEmpty();
                assertThat(dns.answeredQueries()).isEqualTo(4);
            } finally {
                resolver.close();
            }
        }
    }

    @Test
    void aServerThatIsGoneIsAnEmptyAnswerAndAnUnknownOneFailsTheStart() throws Exception {
        int port;
        try (DnsStub dns = new DnsStub(NAME, List.of("127.0.0.1"))) {
            port = dns.port();
        }
        DNSResolver resolver = new DnsServerResolver(new ServerConfig.HostPort("127.0.0.1", port));
        try {
            assertThat(resolver.resolveIps(NAME, DNSResolver.DNSRecordType.A)).isEmpty();
        } finally {
            resolver.close();
        }
        assertThatThrownBy(() -> new DnsServerResolver(new ServerConfig.HostPort("no-such-dns.invalid", 53)))
                .isInstanceOf(UnknownHostException.class).hasMessageContaining("no-such-dns.invalid");
    }

    /** The stub itself, on the wire: what a DNS client checks in a reply. */
    @Test
    void theStubAnswersLikeAnAuthoritativeServer() throws Exception {
        try (DnsStub dns = new DnsStub(NAME + ".", List.of("127.0.0.2", "127.0.0.3"));
                DatagramSocket client = new DatagramSocket()) {
            client.setSoTimeout(10_000);
            client.connect(InetAddress.getLoopbackAddress(), dns.port());

            byte[] query = query(0xBEEF, "Satchel-Cluster.ns.svc.cluster.local", 1, true);
            ByteBuffer a = ByteBuffer.wrap(ask(client, query));
            assertThat(a.getShort() & 0xFFFF).as("id echoed").isEqualTo(0xBEEF);
            int flags = a.getShort() & 0xFFFF;
            assertThat(flags & 0x8000).as("QR: a response").isNotZero();
            assertThat((flags >> 11) & 0xF).as("opcode QUERY").isZero();
            assertThat(flags & 0x0400).as("AA: authoritative").isNotZero();
            assertThat(flags & 0x0200).as("TC: not truncated").isZero();
            assertThat(flags & 0x0100).as("RD echoed").isNotZero();
            assertThat(flags & 0x000F).as("rcode NOERROR").isZero();
            assertThat(a.getShort()).as("QDCOUNT").isEqualTo((short) 1);
            assertThat(a.getShort()).as("ANCOUNT").isEqualTo((short) 2);
            assertThat(a.getShort()).as("NSCOUNT").isZero();
            assertThat(a.getShort()).as("ARCOUNT").isZero();
            int questionLength = query.length - 12;
            byte[] question = new byte[questionLength];
            a.get(question);
            assertThat(question).as("the question echoed as asked (letter case too)")
                    .isEqualTo(java.util.Arrays.copyOfRange(query, 12, query.length));
            for (String expected : List.of("127.0.0.2", "127.0.0.3")) {
                assertThat(a.getShort() & 0xFFFF).as("name: pointer to the question").isEqualTo(0xC00C);
                assertThat(a.getShort()).as("TYPE A").isEqualTo((short) 1);
                assertThat(a.getShort()).as("CLASS IN").isEqualTo((short) 1);
                assertThat(a.getInt()).as("TTL").isEqualTo(DnsStub.TTL_SECONDS);
                assertThat(a.getShort()).as("RDLENGTH").isEqualTo((short) 4);
                byte[] ip = new byte[4];
                a.get(ip);
                assertThat(InetAddress.getByAddress(ip).getHostAddress()).isEqualTo(expected);
            }
            assertThat(a.remaining()).as("nothing after the answers").isZero();

            ByteBuffer nx = ByteBuffer.wrap(ask(client, query(7, "other.ns.svc.cluster.local", 1, false)));
            assertThat(nx.getShort()).isEqualTo((short) 7);
            flags = nx.getShort() & 0xFFFF;
            assertThat(flags & 0x000F).as("NXDOMAIN").isEqualTo(3);
            assertThat(flags & 0x0100).as("RD not asked, not set").isZero();
            assertThat(nx.getShort()).as("QDCOUNT").isEqualTo((short) 1);
            assertThat(nx.getShort()).as("ANCOUNT").isZero();

            ByteBuffer aaaa = ByteBuffer.wrap(ask(client, query(8, NAME, 28, true)));
            aaaa.getShort();
            assertThat(aaaa.getShort() & 0x000F).as("AAAA of the name: NOERROR").isZero();
            aaaa.getShort();
            assertThat(aaaa.getShort()).as("... without records").isZero();

            byte[] status = query(9, NAME, 1, true);
            status[2] |= (byte) (2 << 3); // opcode STATUS
            ByteBuffer notImp = ByteBuffer.wrap(ask(client, status));
            notImp.getShort();
            assertThat(notImp.getShort() & 0x000F).as("NOTIMP").isEqualTo(4);

            byte[] cut = java.util.Arrays.copyOf(query, 20); // the question ends mid-name
            ByteBuffer formErr = ByteBuffer.wrap(ask(client, cut));
            assertThat(formErr.getShort() & 0xFFFF).isEqualTo(0xBEEF);
            assertThat(formErr.getShort() & 0x000F).as("FORMERR").isEqualTo(1);
            assertThat(dns.answeredQueries()).as("A questions for the name").isEqualTo(1);
        }
    }

    private static byte[] ask(DatagramSocket client, byte[] query) throws Exception {
        client.send(new DatagramPacket(query, query.length));
        DatagramPacket reply = new DatagramPacket(new byte[512], 512);
        client.receive(reply);
        return java.util.Arrays.copyOf(reply.getData(), reply.getLength());
    }

    private static byte[] query(int id, String name, int type, boolean recursionDesired) {
        ByteBuffer b = ByteBuffer.allocate(512);
        b.putShort((short) id).putShort((short) (recursionDesired ? 0x0100 : 0)).putShort((short) 1)
                .putShort((short) 0).putShort((short) 0).putShort((short) 0);
        for (String label : name.split("\\.")) {
            byte[] l = label.getBytes(StandardCharsets.US_ASCII);
            b.put((byte) l.length).put(l);
        }
        b.put((byte) 0).putShort((short) type).putShort((short) 1);
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    private static List<String> ips(List<Address> addresses) {
        return addresses.stream().map(a -> ((IpAddress) a).getIpAddress().getHostAddress())
                .collect(Collectors.toList());
    }
}
