package dev.satchel.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.satchel.client.ClientOptions;
import dev.satchel.client.CloseStatus;
import dev.satchel.client.SatchelClient;
import dev.satchel.client.SatchelClientException;
import dev.satchel.client.SatchelTimeoutException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * What the shell and scripts share: one connection, the remembered token ({@code $tkn}) and the output mode.
 * {@link #execute(String)} runs one line and says how it went; the caller prints.
 *
 * <p>Failover: the session knows every server given with {@code --url a,b,c}. It connects to the first that
 * answers; when the connection is lost, the command in flight (if any) fails with the reason (its outcome is
 * unknown, so it is never resent), and the next command connects again, trying the next server of the list
 * first, then the others in order. The client itself does not reconnect in the background: a shell waiting for
 * input holds no retry loop, and each command gets one clear answer.
 */
final class CliSession implements AutoCloseable {

    /** How a line went. */
    enum Kind {
        /** Nothing to do: a blank line or a comment. */
        EMPTY,
        /** A local command (help) or a request answered with success. */
        OK,
        /** The server answered with an error status. */
        FAILED,
        /** The line is not a valid short form. */
        BAD_LINE,
        /** No connection, or it failed before the response came. */
        CONNECTION,
        /** {@code quit} or {@code exit}. */
        QUIT
    }

    /**
     * The result of one line.
     *
     * @param kind   how it went
     * @param output text for standard output (a response or help), or {@code null}
     * @param error  a message for the error stream, or {@code null}
     */
    record Outcome(Kind kind, String output, String error) {
    }

    private static final java.util.Set<String> LOCAL_COMMANDS = java.util.Set.of("help", "?", "quit", "exit");

    private final List<URI> uris;
    private final ClientOptions options;
    private final boolean raw;
    /** Interactive: connect again whenever the connection is gone. Scripts: connect once, when first needed. */
    private final boolean reconnect;
    private volatile SatchelClient client;
    private JsonNode token;
    private boolean connectedOnce;
    private volatile boolean closing;
    /** Index in {@link #uris} of the server of the current or last connection. */
    private int index;
    /** How the last connection ended, when it was lost. */
    private volatile CloseStatus lostStatus;
    private Consumer<CloseStatus> onUnexpectedClose = status -> { };
    private Consumer<URI> onReconnect = uri -> { };

    /**
     * @param uris      the servers, in the order to try them (at least one)
     * @param options   connection settings
     * @param raw       print responses as received instead of pretty
     * @param reconnect connect again whenever the connection is gone (the shell and scripts); otherwise
     *                  connect once, when the first request needs it, and report a lost connection as
     *                  {@link Kind#CONNECTION} (a single command)
     */
    CliSession(List<URI> uris, ClientOptions options, boolean raw, boolean reconnect) {
        this.uris = List.copyOf(uris);
        this.options = options.toBuilder().reconnect(false).build();
        this.raw = raw;
        this.reconnect = reconnect;
    }

    /** The server of the current connection, or of the last one. */
    URI uri() {
        SatchelClient c = client;
        return c != null ? c.uri() : uris.get(index);
    }

    /** All servers given. */
    List<URI> uris() {
        return uris;
    }

    /** The remembered token, or {@code null}. */
    JsonNode token() {
        return token;
    }

    /** Called (on an I/O thread) when the server or the network ends the connection. */
    void onUnexpectedClose(Consumer<CloseStatus> listener) {
        this.onUnexpectedClose = listener;
    }

    /** Called when a command had to connect again after a lost connection, with the server it is now on. */
    void onReconnect(Consumer<URI> listener) {
        this.onReconnect = listener;
    }

    boolean isConnected() {
        return client != null && client.isOpen();
    }

    /**
     * Connects, replacing a closed connection: to the first server that answers, starting after the server of a
     * lost connection, each tried once.
     *
     * @throws SatchelClientException if no server can be reached; the message names each URI and why
     */
    void connect() {
        SatchelClient old = client;
        client = null;
        if (old != null) {
            old.close();
        }
        // a connection before this one was lost (its close may not have been seen yet): say so, next server first
        boolean again = connectedOnce;
        int start = again ? (index + 1) % uris.size() : index;
        List<URI> order = new ArrayList<>(uris.size());
        for (int i = 0; i < uris.size(); i++) {
            order.add(uris.get((start + i) % uris.size()));
        }
        SatchelClient opened = SatchelClient.connect(order, options);
        index = uris.indexOf(opened.uri());
        connectedOnce = true;
        client = opened;
        opened.closeFuture().thenAccept(status -> {
            if (!closing && client == opened) {
                lostStatus = status;
                onUnexpectedClose.accept(status);
            }
        });
        if (again) {
            onReconnect.accept(opened.uri());
        }
    }

    /**
     * Runs one line: a blank line or a {@code #} comment does nothing; {@code help}, {@code quit} and
     * {@code exit} are local; anything else is parsed and sent.
     *
     * @param line the line
     * @return the outcome
     */
    Outcome execute(String line) {
        String text = line.strip();
        if (text.isEmpty() || text.startsWith("#")) {
            return new Outcome(Kind.EMPTY, null, null);
        }
        String[] parts = text.split("\\s+", 2);
        switch (parts[0].toLowerCase(Locale.ROOT)) {
            case "help", "?" -> {
                return new Outcome(Kind.OK, Help.text(parts.length > 1 ? parts[1] : null), null);
            }
            case "quit", "exit" -> {
                return new Outcome(Kind.QUIT, null, null);
            }
            default -> {
                // a request
            }
        }
        ShortForm.Request request;
        try {
            request = ShortForm.parseLine(text, token);
        } catch (ShortFormException e) {
            return new Outcome(Kind.BAD_LINE, null, e.getMessage());
        }
        return send(request);
    }

    /**
     * Runs one command given as command-line arguments.
     *
     * @param arguments the arguments, not empty
     * @return the outcome
     */
    Outcome executeArguments(List<String> arguments) {
        String first = arguments.get(0).strip().toLowerCase(Locale.ROOT);
        if (LOCAL_COMMANDS.contains(first) || first.startsWith("#")) {
            return execute(String.join(" ", arguments));
        }
        ShortForm.Request request;
        try {
            request = ShortForm.parseArguments(arguments, token);
        } catch (ShortFormException e) {
            return new Outcome(Kind.BAD_LINE, null, e.getMessage());
        }
        return send(request);
    }

    private Outcome send(ShortForm.Request request) {
        boolean retried = false;
        while (true) {
            if (retried || !isConnected()) {
                if (!reconnect && connectedOnce) {
                    return new Outcome(Kind.CONNECTION, null, "the connection to " + uri() + " is closed");
                }
                boolean wasLost = connectedOnce;
                URI lostFrom = uri();
                try {
                    connect();
                } catch (SatchelClientException e) {
                    CloseStatus status = lostStatus;
                    return new Outcome(Kind.CONNECTION, null, wasLost ? "the connection to " + lostFrom
                            + " was closed" + (status != null ? " (" + status + ")" : "")
                            + " and reconnecting failed: " + e.getMessage() : e.getMessage());
                }
            }
            String text;
            try {
                CompletableFuture<String> future = client.sendRaw(request.json());
                text = future.get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (!retried && reconnect && cause instanceof SatchelClientException failure && !failure.wasSent()
                        && !(failure instanceof SatchelTimeoutException)) {
                    // never written: the connection had just ended (the close was not seen yet); the command
                    // goes to the next server instead, as if the loss had been seen first
                    retried = true;
                    continue;
                }
                return new Outcome(Kind.CONNECTION, null, cause instanceof SatchelClientException
                        ? cause.getMessage() : String.valueOf(cause));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Outcome(Kind.CONNECTION, null, "interrupted while waiting for the response");
            }
            Response response = Response.parse(text);
            if (response.setsToken()) {
                token = response.token();
            }
            String output = raw ? text : response.pretty();
            return response.isSuccess()
                    ? new Outcome(Kind.OK, output, null)
                    : new Outcome(Kind.FAILED, output, response.describeFailure());
        }
    }


    @Override
    public void close() {
        closing = true;
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
