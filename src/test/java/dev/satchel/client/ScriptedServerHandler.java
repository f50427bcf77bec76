package dev.satchel.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Per-connection test server behaviour. Every TEXT frame is answered with {@code {"ECHO_RSP":{"st":1,"n":<text>}}}
 * after a small random delay, strictly in request order. A BINARY frame is answered with an {@code ERR}
 * response (status 2). Some texts are instructions; each acts in order, after the responses before it:
 * <ul>
 *   <li>{@code CLOSE <code> <reason>}: send a close frame with that code and reason ({@code CLOSE} alone: an
 *       empty close frame); no response.</li>
 *   <li>{@code DROP}: close the TCP connection without a close frame; no response.</li>
 *   <li>{@code MUTE}: answer nothing from now on (this one included).</li>
 *   <li>{@code HOLD}: hold its response, and all later ones, until {@code RELEASE} arrives.</li>
 *   <li>{@code BIG <n>}: answer with {@code n} characters of {@code x} as {@code n}.</li>
 *   <li>{@code RAW <text>}: answer with {@code <text>} verbatim.</li>
 * </ul>
 */
final class ScriptedServerHandler extends SimpleChannelInboundHandler<WebSocketFrame> {

    private final ArrayDeque<Runnable> due = new ArrayDeque<>();
    private final List<Runnable> held = new ArrayList<>();
    private boolean holding;
    private boolean muted;
    private boolean pumping;

    static String echo(String text) {
        ObjectNode inner = Json.object().put("st", 1).put("n", text);
        ObjectNode response = Json.object();
        response.set("ECHO_RSP", inner);
        return response.toString();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (muted) {
            return;
        }
        if (frame instanceof BinaryWebSocketFrame) {
            enqueue(ctx, reply(ctx, "{\"ERR\":{\"st\":2,\"m\":\"binary frames are not supported\"}}"));
        } else if (frame instanceof TextWebSocketFrame textFrame) {
            onText(ctx, textFrame.text());
        }
    }

    private void onText(ChannelHandlerContext ctx, String text) {
        String[] words = text.split(" ", 3);
        switch (words[0]) {
            case "CLOSE" -> enqueue(ctx, () -> ctx.writeAndFlush(words.length == 1
                    ? new CloseWebSocketFrame()
                    : new CloseWebSocketFrame(Integer.parseInt(words[1]), words.length > 2 ? words[2] : "")));
            case "DROP" -> enqueue(ctx, () -> ctx.channel().close());
            case "MUTE" -> enqueue(ctx, () -> muted = true);
            case "RAW" -> enqueue(ctx, reply(ctx, text.substring("RAW ".length())));
            case "HOLD" -> {
                holding = true;
                held.add(reply(ctx, echo(text)));
            }
            case "RELEASE" -> {
                holding = false;
                held.forEach(due::add);
                held.clear();
                enqueue(ctx, reply(ctx, echo(text)));
            }
            case "BIG" -> enqueue(ctx, reply(ctx, echo("x".repeat(Integer.parseInt(words[1])))));
            default -> enqueue(ctx, reply(ctx, echo(text)));
        }
    }

    /** Closes quietly on errors (TLS handshake failures, invalid UTF-8...) that the tests provoke on purpose. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private static Runnable reply(ChannelHandlerContext ctx, String response) {
        return () -> ctx.writeAndFlush(new TextWebSocketFrame(response));
    }

    private void enqueue(ChannelHandlerContext ctx, Runnable action) {
        if (holding) {
            held.add(action);
            return;
        }
        due.add(action);
        if (!pumping) {
            pumping = true;
            scheduleTick(ctx);
        }
    }

    /** Runs 1 to 16 due actions after a random delay of up to 1 ms, until none is left. */
    private void scheduleTick(ChannelHandlerContext ctx) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        ctx.executor().schedule(() -> {
            for (int n = random.nextInt(1, 17); n > 0 && !due.isEmpty() && !muted; n--) {
                due.poll().run();
            }
            if (due.isEmpty() || muted) {
                pumping = false;
            } else {
                scheduleTick(ctx);
            }
        }, random.nextLong(1_000_000), TimeUnit.NANOSECONDS);
    }
}
