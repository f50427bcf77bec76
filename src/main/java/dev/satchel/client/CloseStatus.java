package dev.satchel.client;

import java.util.Objects;

/**
 * Why a connection ended: a WebSocket close code and reason (RFC 6455, section 7.4).
 *
 * <ul>
 *   <li>If the server sent a close frame, its code and reason exactly ({@value #NO_STATUS} if the frame carried
 *       no code).</li>
 *   <li>If the client closed the connection because the server broke the protocol (for example a message over
 *       {@link ClientOptions#maxInboundMessageBytes()}), the code the client sent, with a reason starting
 *       {@code "client: "}.</li>
 *   <li>Otherwise {@value #ABNORMAL_CLOSURE}: the TCP connection ended without a close frame from the server.</li>
 * </ul>
 *
 * @param code   the close code
 * @param reason the close reason, never {@code null} (empty when none was given)
 */
public record CloseStatus(int code, String reason) {

    /** Normal closure. */
    public static final int NORMAL_CLOSURE = 1000;
    /** The close frame carried no status code. */
    public static final int NO_STATUS = 1005;
    /** The connection ended without a close frame. */
    public static final int ABNORMAL_CLOSURE = 1006;

    /** Normalises a {@code null} reason to the empty string. */
    public CloseStatus {
        reason = Objects.requireNonNullElse(reason, "");
    }

    /** Returns {@code "1009 (message too big)"}, or just the code when there is no reason. */
    @Override
    public String toString() {
        return reason.isEmpty() ? Integer.toString(code) : code + " (" + reason + ")";
    }
}
