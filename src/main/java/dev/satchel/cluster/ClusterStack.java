package dev.satchel.cluster;

import dev.satchel.config.ServerConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.jgroups.JChannel;
import org.jgroups.protocols.BARRIER;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.RED;
import org.jgroups.protocols.SYM_ENCRYPT;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.dns.DNS_PING;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.stack.Protocol;

/**
 * Builds the member-to-member JGroups channel in code: no XML and no key store on disk. Every message a member
 * sends, discovery and heartbeats included, is AES-encrypted with one key derived from {@code cluster.secret}
 * (SYM_ENCRYPT directly above TCP), so a process without the secret is never answered, cannot join and cannot
 * read anything (docs/cluster-design.md, section 2). Failure detection is tuned for a pause under 2 s: FD_SOCK2
 * sees a closed socket at once, FD_ALL3 a silent member after 1.5 s, VERIFY_SUSPECT2 confirms in 0.3 s.
 */
public final class ClusterStack {
    /** PBKDF2 iterations for the member key: slow for a guesser, paid once per start. */
    static final int KEY_ITERATIONS = 210_000;
    /** Failure detection listens on cluster.port + this. */
    public static final int FD_PORT_OFFSET = 100;
    /** JGroups' incoming thread pool: small (2 cores), and "run" so a full pool never drops a message. */
    static final int MAX_THREADS = 16;
    /**
     * GMS join_timeout: how long a starting member waits for discovery answers (and then for each JOIN
     * answer). With no answer at all it forms a view of its own, so this is generous for a cold JVM on a busy
     * machine; it costs nothing when the others answer (discovery ends at the coordinator's answer), only the
     * very first member of a new cluster waits it out.
     */
    static final long JOIN_TIMEOUT_MILLIS = 3000;
    /**
     * Discovery requests a starting member sends within {@link #JOIN_TIMEOUT_MILLIS} (at 0, 1 and 2 s). One is
     * not enough: a member restarted on the same address meets the running members' own connection attempts
     * to that address (MERGE3 probes every listed member), JGroups' TCP keeps one of two crossing connections
     * and closes the other, and a discovery request written on the closed one is lost (discovery is below the
     * reliable layers). Without an answer the member would form a cluster of its own.
     */
    static final int DISCOVERY_RUNS = 3;
    /**
     * GMS leave_timeout: how long a leaving member waits for the coordinator to install the view without it.
     * JGroups' 1 s is short on a loaded machine; after it the member just closes and the others must suspect
     * it (failure detection) instead of seeing a clean leave.
     */
    static final long LEAVE_TIMEOUT_MILLIS = 3000;

    private ClusterStack() {
    }

    /**
     * Where each message's IV comes from: the JDK's DRBG (SHA-256 Hash_DRBG, seeded from the system's entropy),
     * a CSPRNG as AES-CBC needs. Not JGroups' default {@code new SecureRandom()}, which is NativePRNG on Linux:
     * it reads /dev/urandom 32 bytes at a time under one lock, so every other message paid a read system call
     * (2.4% of a 3-member cluster's CPU under setget, JFR).
     */
    static java.security.SecureRandom ivRandom() {
        try {
            return java.security.SecureRandom.getInstance("DRBG");
        } catch (java.security.NoSuchAlgorithmException e) {
            return new java.security.SecureRandom();
        }
    }

    /** AES-256 key from the shared secret: PBKDF2-HMAC-SHA256, salt bound to the cluster name. */
    static SecretKey deriveKey(String secret, String clusterName) {
        byte[] salt = ("satchel-cluster-v1:" + clusterName).getBytes(StandardCharsets.UTF_8);
        PBEKeySpec spec = new PBEKeySpec(secret.toCharArray(), salt, KEY_ITERATIONS, 256);
        try {
            byte[] raw = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            return new SecretKeySpec(raw, "AES");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
        } finally {
            spec.clearPassword();
        }
    }

    /** The channel for these settings (not connected: Infinispan connects it). */
    static JChannel build(ServerConfig.Cluster c) throws Exception {
        InetAddress bind = InetAddress.getByName(c.bind());
        List<Protocol> stack = new ArrayList<>();
        TCP tcp = new TCP();
        tcp.setBindAddress(bind);
        tcp.setBindPort(c.port());
        tcp.setPortRange(0); // exactly cluster.port: fail fast if it is taken
        tcp.setSockConnTimeout(300);
        tcp.tcpNodelay(true); // request/response traffic: never wait for Nagle
        tcp.getThreadPool().setMinThreads(2).setMaxThreads(MAX_THREADS).setKeepAliveTime(60_000)
                .setRejectionPolicy("run"); // the default "abort" DROPS a message when the pool is full
        stack.add(tcp);
        stack.add(new RED());
        SYM_ENCRYPT enc = new SYM_ENCRYPT();
        enc.symAlgorithm("AES/CBC/PKCS5Padding"); // the default "AES" would be ECB
        enc.symIvLength(16);
        enc.secureRandom(ivRandom());
        enc.setSecretKey(deriveKey(c.secret(), c.name()));
        stack.add(enc);
        if (!c.dnsQuery().isEmpty()) {
            DNS_PING dns = new DNS_PING();
            dns.setDNSQuery(c.dnsQuery());
            if (c.dnsServer() != null) {
                dns.setDNSAddress(c.dnsServer().toString());
                dns.setDNSResolver(new DnsServerResolver(c.dnsServer()));
            }
            dns.numDiscoveryRuns(DISCOVERY_RUNS);
            stack.add(dns);
        } else {
            TCPPING ping = new TCPPING();
            List<InetSocketAddress> hosts = new ArrayList<>();
            for (ServerConfig.HostPort m : c.members()) {
                hosts.add(new InetSocketAddress(m.host(), m.port()));
            }
            ping.setInitialHosts(hosts);
            ping.setPortRange(0);
            ping.numDiscoveryRuns(DISCOVERY_RUNS);
            stack.add(ping);
        }
        MERGE3 merge = new MERGE3();
        merge.setMinInterval(2000);
        merge.setMaxInterval(5000);
        stack.add(merge);
        FD_SOCK2 fdSock = new FD_SOCK2();
        fdSock.setOffset(FD_PORT_OFFSET);
        fdSock.setBindAddress(bind); // the default is every interface
        fdSock.setPortRange(0);
        stack.add(fdSock);
        FD_ALL3 fdAll = new FD_ALL3();
        fdAll.setTimeout(1500);
        fdAll.setInterval(300);
        stack.add(fdAll);
        VERIFY_SUSPECT2 verify = new VERIFY_SUSPECT2();
        verify.setTimeout(300);
        stack.add(verify);
        stack.add(new BARRIER());
        NAKACK2 nak = new NAKACK2();
        nak.setXmitInterval(200);
        stack.add(nak);
        UNICAST3 uni = new UNICAST3();
        uni.setXmitInterval(200);
        stack.add(uni);
        STABLE stable = new STABLE();
        stable.setDesiredAverageGossip(5000);
        stable.setMaxBytes(1_000_000);
        stack.add(stable);
        GMS gms = new GMS();
        gms.setJoinTimeout(JOIN_TIMEOUT_MILLIS);
        gms.setLeaveTimeout(LEAVE_TIMEOUT_MILLIS);
        gms.printLocalAddress(false);
        stack.add(gms);
        UFC ufc = new UFC();
        ufc.setMaxCredits(4_000_000);
        ufc.setMinThreshold(0.4);
        stack.add(ufc);
        MFC mfc = new MFC();
        mfc.setMaxCredits(4_000_000);
        mfc.setMinThreshold(0.4);
        stack.add(mfc);
        FRAG4 frag = new FRAG4();
        frag.setFragSize(60_000);
        stack.add(frag);
        JChannel ch = new JChannel(stack);
        ch.name(memberName(c));
        return ch;
    }

    /** How a member is called in views and logs: its cluster address. */
    static String memberName(ServerConfig.Cluster c) {
        return (c.bind().indexOf(':') >= 0 ? "[" + c.bind() + "]" : c.bind()) + ":" + c.port();
    }
}
