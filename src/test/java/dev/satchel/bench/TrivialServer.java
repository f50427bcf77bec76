package dev.satchel.bench;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.satchel.net.ws.WebSocketFrames;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket server that does no work: it answers every text message with one canned response, so it shows
 * how fast a client can go. Used by the bench tests (error answers, dropped connections) and, through
 * {@link #main(String[])}, to measure the bench's own ceiling:
 * {@code java -cp target/test-classes:target/satchel.jar dev.satchel.bench.TrivialServer 19995}.
 */
public final class TrivialServer implements AutoCloseable {

    /** Answers with status 1 and a token, which every workload accepts. */
    public static final String OK_RESPONSE = "{\"X_RSP\":{\"st\":1,\"tkn\":\"AAAAAAAAAAAAAAAAAAAAAA\"}}";

    private final EventLoopGroup group;
    private final Channel channel;

    private TrivialServer(int port, int threads, String response, int closeAfter) throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        group = new MultiThreadIoEventLoopGroup(threads,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        byte[] frame = frame(response.getBytes(UTF_8));
        channel = new ServerBootstrap()
                .group(group)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new Handler(frame, closeAfter));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
    }

    /**
     * Starts a server on a free port.
     *
     * @param response   the text of every response
     * @param closeAfter close each connection (without a close frame) after this many messages; 0 never
     * @return the running server
     */
    public static TrivialServer start(String response, int closeAfter) throws InterruptedException {
        return new TrivialServer(0, 1, response, closeAfter);
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** {@code TrivialServer PORT [THREADS]}: runs until killed. */
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        new TrivialServer(port, threads, OK_RESPONSE, 0);
        System.out.println("trivial WebSocket server on ws://127.0.0.1:" + port);
        Thread.currentThread().join();
    }

    private static byte[] frame(byte[] payload) {
        ByteBuf buf = Unpooled.buffer();
        WebSocketFrames.writeText(buf, payload, payload.length);
        return ByteBufUtil.getBytes(buf);
    }

    /** Handshake, then one canned frame per text frame; close frames are echoed. */
    private static final class Handler extends ByteToMessageDecoder {
        private final byte[] response;
        private final int closeAfter;
        private boolean upgraded;
        private int answered;
        private ByteBuf out;
        private final WebSocketFrames.Header header = new WebSocketFrames.Header();

        Handler(byte[] response, int closeAfter) {
            this.response = response;
            this.closeAfter = closeAfter;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> unused) throws Exception {
            if (!upgraded) {
                String text = in.toString(US_ASCII);
                int end = text.indexOf("\r\n\r\n");
                if (end < 0) {
                    return;
                }
                in.skipBytes(end + 4);
                String key = null;
                for (String line : text.substring(0, end).split("\r\n")) {
                    if (line.toLowerCase().startsWith("sec-websocket-key:")) {
                        key = line.substring(line.indexOf(':') + 1).trim();
                    }
                }
                String accept = WebSocketFrames.acceptKey(key);
                ctx.writeAndFlush(Unpooled.copiedBuffer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n", US_ASCII));
                upgraded = true;
            }
            while (WebSocketFrames.parseHeader(in, header)) {
                if (header.headerLength == 0 || in.readableBytes() < header.headerLength + header.length) {
                    return; // the rest of the frame has not arrived
                }
                int opcode = header.opcode;
                in.skipBytes((int) (header.headerLength + header.length));
                if (out == null) {
                    out = ctx.alloc().directBuffer();
                }
                if (opcode == WebSocketFrames.OP_CLOSE) {
                    WebSocketFrames.writeClose(out, WebSocketFrames.CLOSE_NORMAL, "");
                    ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
                    out = null;
                    return;
                }
                if (opcode == WebSocketFrames.OP_TEXT) {
                    if (closeAfter > 0 && answered == closeAfter) {
                        ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
                        out = null;
                        in.skipBytes(in.readableBytes());
                        return;
                    }
                    answered++;
                    out.writeBytes(response);
                }
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
            if (out != null) {
                ctx.writeAndFlush(out);
                out = null;
            }
            super.channelReadComplete(ctx);
        }

        @Override
        public void handlerRemoved0(ChannelHandlerContext ctx) {
            if (out != null) {
                out.release();
                out = null;
            }
        }
    }
}
