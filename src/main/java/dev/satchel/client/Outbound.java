package dev.satchel.client;

import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * A frame on its way to the server, with the request waiting for its response ({@code null} when no response
 * is expected).
 */
record Outbound(WebSocketFrame frame, PendingRequest reply) {

    /** Drops the frame without sending it and fails the waiting request, if any. */
    void reject(SatchelClientException cause) {
        ReferenceCountUtil.release(frame);
        if (reply != null) {
            reply.fail(cause);
        }
    }
}
