package dev.satchel.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.satchel.net.ws.WebSocketFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One benchmark connection: its own WebSocket handshake, frames through the server's codec
 * ({@link WebSocketFrames}; no Netty WebSocket codec), a ring of the
 * requests in flight, and the workload's request sequence.
 *
 * <p>Everything runs on the connection's event loop. Requests written while a batch of responses is read are
 * collected in one buffer and flushed once at the end of the read; each response refills one slot, so
 * {@code pipeline} requests stay in flight.
 *
 * <p>Connection {@code index} is a slot of the run: when its connection is lost while the run is sending,
 * {@link BenchRun} replaces it with a new one (a <em>replacement</em>: same index, the next server of the list),
 * which sets up its own session and then runs at once.
 */
final class BenchConnection extends ByteToMessageDecoder {

    private enum Phase { HANDSHAKE, SETUP, READY, RUNNING, CLOSING, DEAD }

    /** Ring codes of unmeasured setup requests; measured requests use {@link Op#ordinal()}. */
    private static final byte SETUP_NEW = -1;
    private static final byte SETUP_FILL = -2;

    private static final byte[] EMPTY = new byte[0];
    private static final byte[] CLOSE_NORMAL = {(byte) (WebSocketFrames.CLOSE_NORMAL >> 8), (byte) WebSocketFrames.CLOSE_NORMAL};
    private static final byte[] CRLFCRLF = {'\r', '\n', '\r', '\n'};
    private static final byte[] ST = Templates.ascii("\"st\":");
    private static final byte[] TKN = Templates.ascii("\"tkn\":");
    private static final byte[] EMPTY_KEYS = Templates.ascii("\"keys\":{}}}");
    private static final int MAX_HANDSHAKE_BYTES = 16 * 1024;
    private static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
    private static final int FILL_WINDOW = 64;

    final int index;
    /** The server of this connection. */
    final URI uri;
    /** Index of {@link #uri} in the settings' list. */
    final int uriIndex;
    /** Replaces a lost connection of the same index (0: the first connection of its slot). */
    final int attempt;
    final boolean replacement;
    /** Set by {@link BenchRun} when it starts connecting; used only by the main thread. */
    volatile io.netty.channel.Channel channel;
    private final BenchRun run;
    private final BenchSettings settings;
    private final Templates templates;
    private final SplittableRandom random;
    private final int keyspace;

    private final long[] sentAt;
    private final byte[] ops;
    private final boolean[] measured;
    private final int ringMask;
    private int head;
    private int inFlight;

    private ChannelHandlerContext ctx;
    private LoopStats stats;
    private ByteBuf out;
    private Phase phase = Phase.HANDSHAKE;
    private String wsKey;

    private byte[] token;
    private byte[] setPrefix;
    private byte[] getPrefix;
    private final ArrayDeque<byte[]> churnTokens = new ArrayDeque<>();
    private int keyIndex;
    private long sequence;
    private int globalFillNext;
    private int sessionFillNext;
    private ByteBuf fragments;
    /** The header of the frame being read (reused). */
    private final WebSocketFrames.Header header = new WebSocketFrames.Header();

    // Results: written on the event loop, read by the main thread after the drained signal.
    final long[] errorsByOp = new long[Op.ALL.length];
    final long[] missesByOp = new long[Op.ALL.length];
    long setupErrors;
    long lastMeasuredNanos;

    /**
     * @param index    the slot
     * @param uriIndex the server, an index in the settings' list
     * @param attempt  0 for a slot's first connection; for a replacement, the attempt number (1 = first)
     */
    BenchConnection(int index, int uriIndex, int attempt, BenchRun run, Templates templates) {
        this.index = index;
        this.uriIndex = uriIndex;
        this.attempt = attempt;
        this.replacement = attempt > 0;
        this.uri = run.settings().uris().get(uriIndex);
        this.run = run;
        this.settings = run.settings();
        this.templates = templates;
        this.keyspace = settings.keyspace();
        this.random = new SplittableRandom(settings.seed() * 1_000_003L + index);
        this.keyIndex = (int) ((index * 7919L) % keyspace);
        int capacity = Integer.highestOneBit(Math.max(settings.pipeline(), FILL_WINDOW) * 2 - 1);
        sentAt = new long[capacity];
        ops = new byte[capacity];
        measured = new boolean[capacity];
        ringMask = capacity - 1;
        // a replacement leaves the global keys alone: the first connections filled them
        globalFillNext = settings.workload().fillsGlobalKeys(settings.mix()) && !replacement ? index : keyspace;
        sessionFillNext = settings.workload().fillsSessionKeys(settings.mix()) ? 0 : keyspace;
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.stats = run.statsFor(ctx.channel().eventLoop());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        wsKey = Base64.getEncoder().encodeToString(nonce);
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        String request = "GET " + path + " HTTP/1.1\r\n"
                + "Host: " + uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort()) + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + wsKey + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "User-Agent: satchel-bench\r\n\r\n";
        ctx.writeAndFlush(Unpooled.copiedBuffer(request, US_ASCII));
        super.channelActive(ctx);
    }

    /** The TCP connection could not be opened. */
    void connectFailed(Throwable cause) {
        fail("cannot connect to " + uri + ": " + describe(cause));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        try {
            super.channelInactive(ctx);
        } finally {
            if (fragments != null) {
                fragments.release();
                fragments = null;
            }
            releaseOut();
            if (phase != Phase.CLOSING) {
                fail(phase == Phase.HANDSHAKE ? "connection to " + uri + " closed during the handshake"
                        : "connection " + index + " to " + uri + " closed by the server");
            }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail("connection " + index + " to " + uri + (cause instanceof java.io.IOException ? " lost: " : ": ")
                + describe(cause));
        ctx.close();
    }

    /** Starts the measured traffic: fills the pipeline. Runs on the event loop. */
    void start() {
        if (phase != Phase.READY) {
            return;
        }
        phase = Phase.RUNNING;
        for (int i = 0; i < settings.pipeline(); i++) {
            if (!sendNext()) {
                break;
            }
        }
        flushOut();
        if (inFlight == 0) {
            signalDrained();
        }
    }

    /** Checks whether the connection has nothing in flight after sending stopped. Runs on the event loop. */
    void checkDrained() {
        if (phase != Phase.RUNNING || inFlight == 0) {
            signalDrained();
        }
    }

    /**
     * Ends the sessions this connection created (setup session, churn tokens) without measuring, then sends a
     * close frame; the server answers, echoes the close and closes TCP. Runs on the event loop.
     */
    void closeGracefully(boolean cleanUp) {
        if (ctx == null || phase == Phase.DEAD || phase == Phase.HANDSHAKE || !ctx.channel().isActive()) {
            if (ctx != null) {
                ctx.close();
            }
            return;
        }
        phase = Phase.CLOSING;
        ensureOut();
        if (cleanUp) {
            if (token != null) {
                WebSocketFrames.writeMaskedText(out, templates.endPrefix, token, templates.endSuffix, maskKey());
            }
            for (byte[] churn : churnTokens) {
                WebSocketFrames.writeMaskedText(out, templates.endPrefix, churn, templates.endSuffix, maskKey());
            }
            churnTokens.clear();
        }
        WebSocketFrames.writeMaskedControl(out, WebSocketFrames.OP_CLOSE, CLOSE_NORMAL, maskKey());
        flushOut();
    }

    // ---------------------------------------------------------------- reading

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> unused) {
        if (phase == Phase.HANDSHAKE && !readHandshake(in)) {
            return;
        }
        WebSocketFrames.Header h = header;
        while (phase != Phase.DEAD && WebSocketFrames.parseHeader(in, h)) {
            if (h.masked || h.rsv != 0) {
                fail("connection " + index + ": the server sent a masked frame or reserved bits");
                ctx.close();
                return;
            }
            if (h.headerLength == 0) {
                return; // the extended length has not arrived
            }
            long length = h.length;
            if (length < 0 || length > MAX_MESSAGE_BYTES) {
                fail("connection " + index + ": the server sent a frame of " + length + " bytes");
                ctx.close();
                return;
            }
            if (in.readableBytes() < h.headerLength + length) {
                return;
            }
            int r = in.readerIndex();
            onFrame(h.fin, h.opcode, in.slice(r + h.headerLength, (int) length));
            in.readerIndex(r + h.headerLength + (int) length);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        flushOut();
        super.channelReadComplete(ctx);
    }

    /** Reads the HTTP response to the upgrade; returns whether frames follow. */
    private boolean readHandshake(ByteBuf in) {
        int end = indexOf(in, in.readerIndex(), in.writerIndex(), CRLFCRLF);
        if (end < 0) {
            if (in.readableBytes() > MAX_HANDSHAKE_BYTES) {
                fail("WebSocket handshake with " + uri + " failed: response headers too long");
                ctx.close();
            }
            return false;
        }
        String head = in.toString(in.readerIndex(), end - in.readerIndex(), US_ASCII);
        in.readerIndex(end + CRLFCRLF.length);
        String[] lines = head.split("\r\n");
        if (!lines[0].matches("HTTP/1\\.1 101( .*)?")) {
            fail("WebSocket handshake with " + uri + " failed: " + lines[0]);
            ctx.close();
            return false;
        }
        String expected = WebSocketFrames.acceptKey(wsKey);
        boolean accepted = false;
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("sec-websocket-accept")) {
                accepted = line.substring(colon + 1).trim().equals(expected);
            }
        }
        if (!accepted) {
            fail("WebSocket handshake with " + uri + " failed: wrong or missing Sec-WebSocket-Accept");
            ctx.close();
            return false;
        }
        startSetup();
        return true;
    }

    private void onFrame(boolean fin, int opcode, ByteBuf payload) {
        switch (opcode) {
            case WebSocketFrames.OP_TEXT, WebSocketFrames.OP_CONTINUATION -> {
                if (!fin || fragments != null) {
                    if (fragments == null) {
                        fragments = ctx.alloc().heapBuffer();
                    }
                    fragments.writeBytes(payload);
                    if (!fin) {
                        return;
                    }
                    ByteBuf whole = fragments;
                    fragments = null;
                    try {
                        onMessage(whole);
                    } finally {
                        whole.release();
                    }
                } else {
                    onMessage(payload);
                }
            }
            case WebSocketFrames.OP_CLOSE -> {
                if (phase != Phase.CLOSING) {
                    int code = payload.readableBytes() >= 2 ? payload.getUnsignedShort(payload.readerIndex()) : 1005;
                    String reason = payload.readableBytes() > 2
                            ? payload.toString(payload.readerIndex() + 2, payload.readableBytes() - 2, UTF_8) : "";
                    fail("connection " + index + " to " + uri + " closed by the server with " + code
                            + (reason.isEmpty() ? "" : " (" + reason + ")"));
                }
                ctx.close();
            }
            case WebSocketFrames.OP_PING -> {
                byte[] data = new byte[payload.readableBytes()];
                payload.getBytes(payload.readerIndex(), data);
                ensureOut();
                WebSocketFrames.writeMaskedControl(out, WebSocketFrames.OP_PONG, data, maskKey());
            }
            default -> {
                // pong or an unknown opcode: ignored
            }
        }
    }

    private void onMessage(ByteBuf payload) {
        if (phase == Phase.CLOSING || phase == Phase.DEAD) {
            return; // answers to the clean-up requests
        }
        if (inFlight == 0) {
            fail("connection " + index + ": response without a request: " + abbreviate(payload));
            ctx.close();
            return;
        }
        int slot = head;
        head = (head + 1) & ringMask;
        inFlight--;
        byte code = ops[slot];
        boolean ok = statusOk(payload);
        if (code < 0) {
            onSetupResponse(code, ok, payload);
            return;
        }
        Op op = Op.ALL[code];
        if (measured[slot]) {
            long now = System.nanoTime();
            stats.record(op, now - sentAt[slot]);
            lastMeasuredNanos = now;
        }
        run.responseReceived();
        if (!ok) {
            errorsByOp[code]++;
            run.error(op.command() + ": " + abbreviate(payload));
        } else if (op.isRead()) {
            if (endsWith(payload, EMPTY_KEYS)) {
                missesByOp[code]++;
            }
        } else if (op == Op.NEW) {
            byte[] churn = extractToken(payload);
            if (churn != null) {
                churnTokens.push(churn);
            }
        }
        if (phase == Phase.RUNNING && !sendNext() && inFlight == 0) {
            signalDrained();
        }
    }

    // ---------------------------------------------------------------- setup

    private void startSetup() {
        phase = Phase.SETUP;
        if (settings.workload().needsSession(settings.mix())) {
            write(SETUP_NEW, templates.newRequest, EMPTY, EMPTY, false);
        } else {
            fill();
        }
    }

    private void onSetupResponse(byte code, boolean ok, ByteBuf payload) {
        if (code == SETUP_NEW) {
            token = ok ? extractToken(payload) : null;
            if (token == null) {
                setupErrors++;
                fail("setup: SH_NEW failed: " + abbreviate(payload));
                ctx.close();
                return;
            }
            setPrefix = templates.setPrefix(token);
            getPrefix = templates.getPrefix(token);
        } else if (!ok) {
            setupErrors++;
            run.error("setup: " + abbreviate(payload));
        }
        fill();
    }

    /** Sends the setup writes that fill keys, a window at a time; signals ready when all are answered. */
    private void fill() {
        while (inFlight < FILL_WINDOW) {
            if (globalFillNext < keyspace) {
                write(SETUP_FILL, templates.kvSetPrefix, templates.keys[globalFillNext], templates.setSuffix, false);
                globalFillNext += settings.connections();
            } else if (sessionFillNext < keyspace) {
                write(SETUP_FILL, setPrefix, templates.keys[sessionFillNext], templates.setSuffix, false);
                sessionFillNext++;
            } else {
                break;
            }
        }
        if (inFlight == 0) {
            phase = Phase.READY;
            if (!replacement) {
                signalReady();
            } else if (run.isSending()) {
                run.reconnected(this);
                start();
            } else {
                signalDrained();
                closeGracefully(true);
            }
        }
    }

    // ---------------------------------------------------------------- sending

    /** Writes the workload's next request if the run is still sending; returns whether it did. */
    private boolean sendNext() {
        if (!run.isSending()) {
            return false;
        }
        boolean measure = run.isMeasuring();
        if (measure && !run.claimRequest()) {
            return false;
        }
        byte[][] keys = templates.keys;
        switch (settings.workload()) {
            case SETGET -> {
                if ((sequence++ & 1) == 0) {
                    keyIndex = keyIndex + 1 == keyspace ? 0 : keyIndex + 1;
                    write(Op.SET, setPrefix, keys[keyIndex], templates.setSuffix, measure);
                } else {
                    write(Op.GET, getPrefix, keys[keyIndex], templates.getSuffix, measure);
                }
            }
            case NEWEND -> sendChurn(measure);
            case KVSET -> {
                keyIndex = keyIndex + 1 == keyspace ? 0 : keyIndex + 1;
                write(Op.KV_SET, templates.kvSetPrefix, keys[keyIndex], templates.setSuffix, measure);
            }
            case KVGET -> {
                keyIndex = keyIndex + 1 == keyspace ? 0 : keyIndex + 1;
                write(Op.KV_GET, templates.kvGetPrefix, keys[keyIndex], templates.getSuffix, measure);
            }
            case MIXED -> {
                Mix mix = settings.mix();
                byte[] key = keys[random.nextInt(keyspace)];
                switch (mix.pick(random.nextInt(mix.total()))) {
                    case SET -> write(Op.SET, setPrefix, key, templates.setSuffix, measure);
                    case GET -> write(Op.GET, getPrefix, key, templates.getSuffix, measure);
                    case KVSET -> write(Op.KV_SET, templates.kvSetPrefix, key, templates.setSuffix, measure);
                    case KVGET -> write(Op.KV_GET, templates.kvGetPrefix, key, templates.getSuffix, measure);
                    case NEWEND -> sendChurn(measure);
                    default -> throw new IllegalStateException();
                }
            }
            default -> throw new IllegalStateException();
        }
        return true;
    }

    private void sendChurn(boolean measure) {
        byte[] churn = churnTokens.poll();
        if (churn != null) {
            write(Op.END, templates.endPrefix, churn, templates.endSuffix, measure);
        } else {
            write(Op.NEW, templates.newRequest, EMPTY, EMPTY, measure);
        }
    }

    private void write(Op op, byte[] a, byte[] b, byte[] c, boolean measure) {
        write((byte) op.ordinal(), a, b, c, measure);
    }

    private void write(byte code, byte[] a, byte[] b, byte[] c, boolean measure) {
        ensureOut();
        WebSocketFrames.writeMaskedText(out, a, b, c, maskKey());
        int slot = (head + inFlight) & ringMask;
        ops[slot] = code;
        measured[slot] = measure;
        sentAt[slot] = System.nanoTime();
        inFlight++;
    }

    private int maskKey() {
        if (!settings.randomMask()) {
            return 0;
        }
        int key;
        do {
            key = random.nextInt();
        } while (key == 0);
        return key;
    }

    private void ensureOut() {
        if (out == null) {
            out = ctx.alloc().directBuffer(Math.min(64 * 1024, 256 + settings.pipeline() * 64));
        }
    }

    private void flushOut() {
        if (out != null) {
            ByteBuf buf = out;
            out = null;
            if (buf.isReadable() && ctx.channel().isActive()) {
                ctx.writeAndFlush(buf, ctx.voidPromise());
            } else {
                buf.release();
            }
        }
    }

    private void releaseOut() {
        if (out != null) {
            out.release();
            out = null;
        }
    }

    // ---------------------------------------------------------------- signals

    private void signalReady() {
        run.slotReady(index);
    }

    private void signalDrained() {
        run.slotDrained(index);
    }

    /**
     * Marks the connection dead and reports why. Before the run (a slot's first connection in setup) that fails
     * the run; during it, {@link BenchRun} replaces the connection while it is still sending, and the requests
     * that were in flight are counted as lost (their outcome is unknown).
     */
    private void fail(String reason) {
        if (phase == Phase.DEAD || phase == Phase.CLOSING) {
            return;
        }
        boolean wasRunning = phase == Phase.RUNNING;
        boolean beforeRun = !wasRunning && !replacement;
        int lost = wasRunning ? inFlight : 0;
        phase = Phase.DEAD;
        if (beforeRun) {
            run.connectionFailed(reason, true);
            signalReady();
            signalDrained();
        } else {
            run.connectionEnded(this, reason, wasRunning, lost);
        }
    }

    // ---------------------------------------------------------------- response scanning

    /** Whether the first {@code "st":} member is exactly 1 (Satchel writes {@code st} first). */
    static boolean statusOk(ByteBuf payload) {
        int at = indexOf(payload, payload.readerIndex(), payload.writerIndex(), ST);
        if (at < 0) {
            return false;
        }
        int i = at + ST.length;
        int end = payload.writerIndex();
        return i + 1 < end && payload.getByte(i) == '1' && !Character.isDigit(payload.getByte(i + 1));
    }

    /** The {@code tkn} value's JSON text (quoted string or digits), or {@code null}. */
    static byte[] extractToken(ByteBuf payload) {
        int at = indexOf(payload, payload.readerIndex(), payload.writerIndex(), TKN);
        if (at < 0) {
            return null;
        }
        int start = at + TKN.length;
        int end = payload.writerIndex();
        int i = start;
        if (i < end && payload.getByte(i) == '"') {
            i++;
            while (i < end && payload.getByte(i) != '"') {
                if (payload.getByte(i) == '\\') {
                    i++;
                }
                i++;
            }
            i++;
        } else {
            while (i < end && Character.isDigit(payload.getByte(i))) {
                i++;
            }
        }
        if (i > end || i == start) {
            return null;
        }
        byte[] token = new byte[i - start];
        payload.getBytes(start, token);
        return token;
    }

    private static boolean endsWith(ByteBuf payload, byte[] suffix) {
        int start = payload.writerIndex() - suffix.length;
        if (start < payload.readerIndex()) {
            return false;
        }
        for (int i = 0; i < suffix.length; i++) {
            if (payload.getByte(start + i) != suffix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(ByteBuf buf, int from, int to, byte[] needle) {
        int last = to - needle.length;
        outer:
        for (int i = from; i <= last; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buf.getByte(i + j) != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static String abbreviate(ByteBuf payload) {
        int n = Math.min(payload.readableBytes(), 200);
        String text = payload.toString(payload.readerIndex(), n, UTF_8);
        return n < payload.readableBytes() ? text + "..." : text;
    }

    private static String describe(Throwable t) {
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }
}
