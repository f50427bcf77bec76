package dev.satchel.cluster;

import dev.satchel.config.ServerConfig;
import java.util.List;
import javax.sql.DataSource;
import org.infinispan.remoting.transport.jgroups.JGroupsChannelConfigurator;
import org.jgroups.JChannel;
import org.jgroups.conf.ProtocolConfiguration;
import org.jgroups.util.SocketFactory;

/**
 * Hands Infinispan the channel {@link ClusterStack} builds (transport property "channelConfigurator").
 * {@code transport().transport(new JGroupsTransport(channel))} is silently ignored by Infinispan, which then
 * starts its default UDP stack: this is the way that works.
 */
final class ClusterChannelConfigurator implements JGroupsChannelConfigurator {
    private final ServerConfig.Cluster settings;

    ClusterChannelConfigurator(ServerConfig.Cluster settings) {
        this.settings = settings;
    }

    @Override
    public String getName() {
        return "satchel";
    }

    @Override
    public JChannel createChannel(String name) throws Exception {
        return ClusterStack.build(settings);
    }

    @Override
    public void setSocketFactory(SocketFactory socketFactory) {
        // the stack binds its own sockets to cluster.bind
    }

    @Override
    public void setDataSource(DataSource dataSource) {
        // no JDBC discovery
    }

    @Override
    public String getProtocolStackString() {
        return "satchel (built in code by ClusterStack)";
    }

    @Override
    public List<ProtocolConfiguration> getProtocolStack() {
        return List.of();
    }
}
