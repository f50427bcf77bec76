package dev.satchel.net;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Connection counters of one server, updated by the I/O threads (thread-safe, never touched by the command
 * loop); the operations layer reads them for /metrics. Every accepted channel carries its server's instance as the attribute {@link #KEY}, so connection
 * code can count without a reference: {@code NetStats.rejected(channel, "message_too_big")}.
 */
public final class NetStats {
    public static final AttributeKey<NetStats> KEY = AttributeKey.valueOf("satchel.netStats");

    /** Reason of a message closed with 1009 because it was larger than limits.maxMessageBytes. */
    public static final String MESSAGE_TOO_BIG = "message_too_big";

    private final LongAdder opened = new LongAdder();
    private final LongAdder closed = new LongAdder();
    private final Map<String, LongAdder> rejected = new ConcurrentHashMap<>();

    /** A connection was accepted; counts its close too. */
    public void opened(Channel ch) {
        opened.increment();
        ch.closeFuture().addListener(f -> closed.increment());
    }

    /** A message (or connection) was refused by a limit; {@code reason} is a short snake_case word. */
    public void rejected(String reason) {
        rejected.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    /** Counts a rejection on the server of {@code ch}, if it has counters. */
    public static void rejected(Channel ch, String reason) {
        NetStats s = ch.attr(KEY).get();
        if (s == null && ch.parent() != null) {
            s = ch.parent().attr(KEY).get();
        }
        if (s != null) {
            s.rejected(reason);
        }
    }

    public long opened() {
        return opened.sum();
    }

    public long closed() {
        return closed.sum();
    }

    /** Open connections (WebSocket and ones still in the HTTP handshake). */
    public long active() {
        return Math.max(0, opened.sum() - closed.sum());
    }

    /** Rejections so far by reason. */
    public Map<String, Long> rejected() {
        Map<String, Long> m = new TreeMap<>();
        rejected.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }
}
