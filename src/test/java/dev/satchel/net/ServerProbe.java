package dev.satchel.net;

/** Looks inside a running {@link WebSocketServer} for tests in other packages. */
public final class ServerProbe {
    private ServerProbe() {
    }

    /** The most response bytes the server holds for one connection right now. */
    public static long largestUnsentBytes(WebSocketServer server) {
        return server.largestUnsentBytes();
    }

    /** Connections counted by the connection caps now. */
    public static int guardedConnections(WebSocketServer server) {
        return server.guardedConnections();
    }
}
