/**
 * Java client for the Satchel session cache: JSON requests over one WebSocket connection, on Netty.
 *
 * <ul>
 *   <li>{@link dev.satchel.client.SatchelClient}: connect, send raw or JSON requests (pipelined, matched to
 *       responses in order), abuse hooks for arbitrary frames, close.</li>
 *   <li>{@link dev.satchel.client.SatchelCommands}: typed helpers for every command, inherited by the
 *       client.</li>
 *   <li>{@link dev.satchel.client.ClientOptions}: timeouts, message size limit, handshake headers, TLS, event
 *       loop group.</li>
 *   <li>{@link dev.satchel.client.Token}, {@link dev.satchel.client.Expiry}, {@link dev.satchel.client.Status}:
 *       protocol values.</li>
 *   <li>{@link dev.satchel.client.CloseStatus}, {@link dev.satchel.client.SatchelClientException},
 *       {@link dev.satchel.client.SatchelTimeoutException}: how connections and requests end.</li>
 * </ul>
 */
package dev.satchel.client;
