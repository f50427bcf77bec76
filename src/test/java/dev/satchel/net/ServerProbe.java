package dev.satchel.net;

/** Looks inside a running {@link SatchelServer} for tests in other packages. */
public final class ServerProbe {
    private ServerProbe() {
    }

    /** The most response bytes the server holds for one connection right now. */
    public static long largestUnsentBytes(SatchelServer server) {
        return server.guards().largestUnsentBytes();
    }

    /** Connections counted by the connection caps now. */
    public static int guardedConnections(SatchelServer server) {
        return server.guards().openConnections();
    }
}
