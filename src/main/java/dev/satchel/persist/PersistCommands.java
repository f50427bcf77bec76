package dev.satchel.persist;

import static dev.satchel.json.ResponseWriter.field;

import dev.satchel.engine.Command;
import dev.satchel.engine.CommandLoop;
import dev.satchel.engine.Engine;
import dev.satchel.engine.Params;
import dev.satchel.engine.Request;
import dev.satchel.engine.TableCommand;
import dev.satchel.json.ResponseWriter;
import dev.satchel.json.TokenFormat;
import dev.satchel.spec.Status;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The persistence commands SH_SAVE, SH_LOAD, KV_SAVE, KV_LOAD (docs/protocol.md section 9): their requests and
 * responses (their parameters are checked by the decoder, as declared). The work is {@link DatasetJobs}'; a save's or load's response is deferred until it is
 * durable or applied, so a client that waits for it sees the whole of it, while others may observe a load
 * partly applied.
 */
public final class PersistCommands {
    private static final Logger LOG = LoggerFactory.getLogger(PersistCommands.class);

    private static final byte[] F_NAME = field("name");
    private static final byte[] F_DURATION = field("duration");
    private static final byte[] F_SESSIONS = field("sessions");
    private static final byte[] F_KEYS = field("keys");

    private PersistCommands() {
    }

    /** The four commands over a server's {@link Persistence} and command loop. */
    public static List<Command> all(Persistence persistence, CommandLoop loop) {
        return List.of(new ShSave(persistence, loop), new ShLoad(persistence, loop), new KvSave(persistence, loop),
                new KvLoad(persistence, loop));
    }

    /** The commands without a dataset directory (unit tests without a server): saves are 14, loads 142. */
    public static List<Command> all() {
        return all(null, null);
    }

    // ---- responses built off the loop (never with the loop's own writer) ----

    private static byte[] errorResponse(Command c, PersistException e) {
        ResponseWriter w = new ResponseWriter(TokenFormat.STRING);
        w.error(c.responsePrefix(), e.status(), e.getMessage());
        return w.toByteArray();
    }

    // ---- the commands ----

    /** Shared state; the request is the dataset {@code name} ({@link Request.Named}) unless said otherwise. */
    abstract static class PersistCommand extends TableCommand {
        final Persistence persistence;
        final CommandLoop loop;
        private final boolean saves;

        PersistCommand(String name, Persistence persistence, CommandLoop loop, boolean saves) {
            super(name);
            this.persistence = persistence;
            this.loop = loop;
            this.saves = saves;
        }

        @Override
        public String disabled() {
            return saves && (persistence == null || !persistence.enabled())
                    ? "saving is disabled on this server (persist.enabled, or --persist-path DIR)" : null;
        }

        @Override
        public Request request(Params p) {
            return new Request.Named(this, p);
        }

        /** Answers a failed save or load. */
        final byte[] failure(Throwable t) {
            PersistException e = Persistence.cause(t);
            if (e.status() == Status.UNKNOWN) {
                LOG.error("{} failed", name(), e.getCause());
            } else if (e.status() == Status.LOAD_ERROR) {
                LOG.info("{} failed: {}", name(), e.getMessage()); // often the client's mistake (no such dataset)
            } else {
                LOG.warn("{} failed: {}", name(), e.getMessage());
            }
            return errorResponse(this, e);
        }

        final void save(Engine engine, String name, Request.Tokens listed, ResponseWriter out, boolean sessions) {
            if (!persistence.tryBeginSave(name)) {
                error(out, Status.SAVE_ERROR, "a save of dataset '" + name + "' is already in progress");
                return;
            }
            CompletableFuture<DatasetJobs.Saved> saving = sessions
                    ? DatasetJobs.saveSessions(engine, persistence, loop, name, listed)
                    : DatasetJobs.saveKeys(engine, persistence, name);
            out.defer(saving.handle((s, e) -> {
                if (e != null) {
                    return failure(e);
                }
                ResponseWriter w = new ResponseWriter(TokenFormat.STRING);
                w.begin(responsePrefix(), Status.SAVE_COMPLETE).raw(F_NAME).string(name)
                        .raw(F_DURATION).number(s.millis()).end();
                return w.toByteArray();
            }));
        }

        final void load(Engine engine, String name, ResponseWriter out, int kind) {
            if (persistence == null) {
                error(out, Status.LOAD_ERROR, "this server has no dataset directory");
                return;
            }
            if (!engine.journalled()) {
                out.defer(answer(name, kind));
                return;
            }
            CompletableFuture<byte[]> response = new CompletableFuture<>();
            // the answer leaves once what the load changed is durable (persist.journal = always; else at once)
            answer(name, kind).thenAccept(json -> loop.submit((e, o) -> e.whenDurable(() -> response.complete(json))));
            out.defer(response);
        }

        private CompletableFuture<byte[]> answer(String name, int kind) {
            return DatasetJobs.loadAndApply(persistence, loop, name, kind).handle((l, e) -> {
                if (e != null) {
                    return failure(e);
                }
                ResponseWriter w = new ResponseWriter(TokenFormat.STRING);
                w.begin(responsePrefix(), Status.LOAD_COMPLETE).raw(F_NAME).string(name);
                if (kind == Format.KIND_SESSIONS) {
                    w.raw(F_SESSIONS).number(l.count()).raw(F_KEYS).number(l.keys());
                } else {
                    w.raw(F_KEYS).number(l.keys()).raw(F_SESSIONS).number(0).raw(F_DURATION).number(l.millis());
                }
                w.end();
                return w.toByteArray();
            });
        }
    }

    /** SH_SAVE {name, tkns?}: all sessions, or the live ones among tkns (checked by the decoder, as declared). */
    static final class ShSave extends PersistCommand {
        ShSave(Persistence persistence, CommandLoop loop) {
            super("SH_SAVE", persistence, loop, true);
        }

        @Override
        public Request request(Params p) {
            return new Request.Tokens(this, p);
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            Request.Tokens t = (Request.Tokens) r;
            save(engine, t.name(), t.listed() ? t : null, out, true);
        }
    }

    /** SH_LOAD {name}: adds the saved sessions whose tokens are not in use. */
    static final class ShLoad extends PersistCommand {
        ShLoad(Persistence persistence, CommandLoop loop) {
            super("SH_LOAD", persistence, loop, false);
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            load(engine, ((Request.Named) r).name(), out, Format.KIND_SESSIONS);
        }
    }

    /** KV_SAVE {name}: the global key space. */
    static final class KvSave extends PersistCommand {
        KvSave(Persistence persistence, CommandLoop loop) {
            super("KV_SAVE", persistence, loop, true);
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            save(engine, ((Request.Named) r).name(), null, out, false);
        }
    }

    /** KV_LOAD {name}: sets every saved key, overwriting. */
    static final class KvLoad extends PersistCommand {
        KvLoad(Persistence persistence, CommandLoop loop) {
            super("KV_LOAD", persistence, loop, false);
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            load(engine, ((Request.Named) r).name(), out, Format.KIND_KEYS);
        }
    }
}
