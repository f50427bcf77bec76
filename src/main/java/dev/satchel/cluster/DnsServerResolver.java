package dev.satchel.cluster;

import dev.satchel.config.ServerConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import javax.naming.Context;
import javax.naming.NameNotFoundException;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;
import org.jgroups.Address;
import org.jgroups.protocols.dns.DNSResolver;
import org.jgroups.stack.IpAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS_PING's resolver when {@code cluster.dnsServer} is set: asks that server (JNDI's DNS provider, the client
 * DNS_PING's own {@code dns_address} uses) for the A records of {@code cluster.dnsQuery} at every discovery,
 * with no JVM address cache in between.
 *
 * <p>Instead of JGroups' {@code AddressedDNSResolver} (5.5.5), for two reasons. It formats its trace message
 * with {@code "%a"} before any level check (JGroups' SLF4J logger always formats), so every lookup that fails,
 * NXDOMAIN included, throws {@code IllegalFormatConversionException} out of discovery. And it keeps the JDK's
 * DNS timeouts (1 s, doubled, 4 tries: 15 s for a server that does not answer, every MERGE3 round queued behind
 * one lock); here it is {@value #TIMEOUT_MILLIS} ms and one retry at twice that.
 *
 * <p>A failed lookup is an empty answer (discovery finds nobody this round and tries again); a failure is
 * logged as a warning when it differs from the previous one, so a DNS server that is down is visible in the log
 * without a line every few seconds.
 */
final class DnsServerResolver implements DNSResolver {
    private static final Logger LOG = LoggerFactory.getLogger(DnsServerResolver.class);
    /** First wait for an answer; the second try waits twice as long. */
    static final long TIMEOUT_MILLIS = 500;
    /** Tries per query (JNDI's "retries" counts the first one). */
    static final int TRIES = 2;

    private final ServerConfig.HostPort server;
    private final DirContext context;
    /** The last failure logged, so the same one is not logged again until a lookup succeeds. */
    private volatile String lastFailure;

    /** @throws UnknownHostException when the server's name does not resolve (the start fails, not every lookup) */
    DnsServerResolver(ServerConfig.HostPort server) throws NamingException, UnknownHostException {
        InetAddress.getByName(server.host());
        this.server = server;
        Hashtable<String, Object> env = new Hashtable<>();
        env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.dns.DnsContextFactory");
        env.put(Context.PROVIDER_URL, "dns://" + server);
        env.put("com.sun.jndi.dns.timeout.initial", Long.toString(TIMEOUT_MILLIS));
        env.put("com.sun.jndi.dns.timeout.retries", Integer.toString(TRIES));
        this.context = new InitialDirContext(env);
    }

    /** A and AAAA records of {@code query} (members on DNS_PING's transport port); SRV is not asked for. */
    @Override
    public List<Address> resolveIps(String query, DNSRecordType type) {
        if (type == DNSRecordType.SRV) {
            failed(query, "SRV", "SRV records are not supported with cluster.dnsServer (A is the default)");
            return List.of();
        }
        String id = type.toString();
        List<Address> found = new ArrayList<>();
        try {
            Attribute records = context.getAttributes(query, new String[] {id}).get(id);
            if (records != null) {
                for (NamingEnumeration<?> e = records.getAll(); e.hasMore(); ) {
                    found.add(new IpAddress(InetAddress.getByName(e.next().toString()), 0)); // a literal: no lookup
                }
            }
        } catch (NameNotFoundException e) {
            failed(query, id, "no such name (NXDOMAIN)");
            return List.of();
        } catch (NamingException | UnknownHostException e) {
            failed(query, id, e.toString());
            return List.of();
        }
        lastFailure = null;
        return found;
    }

    private void failed(String query, String type, String why) {
        if (!why.equals(lastFailure)) {
            lastFailure = why;
            LOG.warn("DNS discovery: no {} records of {} from cluster.dnsServer {}: {}", type, query, server, why);
        }
    }

    @Override
    public void close() {
        try {
            context.close();
        } catch (NamingException e) {
            // nothing was left open
        }
    }

    @Override
    public String toString() {
        return "dns://" + server;
    }
}
