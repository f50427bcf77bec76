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
        return List.of(new Save("SH_SAVE", true, persistence, loop), new Load("SH_LOAD", Format.KIND_SESSIONS,
                persistence, loop), new Save("KV_SAVE", false, persistence, loop), new Load("KV_LOAD", Format.KIND_KEYS,
                persistence, loop));
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

    /** What saves and loads share: the server's persistence and loop, and how a failure is answered. */
    abstract static class PersistCommand extends TableCommand {
        final Persistence persistence;
        final CommandLoop loop;

        PersistCommand(String name, Persistence persistence, CommandLoop loop) {
            super(name);
            this.persistence = persistence;
            this.loop = loop;
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
    }

    /**
     * SH_SAVE {name, tkns?} (every session, or the live ones among tkns) and KV_SAVE {name} (the global key space):
     * one command but for what is captured. The answer is deferred until the dataset is durable.
     */
    static final class Save extends PersistCommand {
        private final boolean sessions;

        Save(String name, boolean sessions, Persistence persistence, CommandLoop loop) {
            super(name, persistence, loop);
            this.sessions = sessions;
        }

        @Override
        public String disabled() {
            return persistence == null || !persistence.enabled()
                    ? "saving is disabled on this server (persist.enabled, or --persist-path DIR)" : null;
        }

        @Override
        public Request request(Params p) {
            return sessions ? new Request.Tokens(this, p) : new Request.Named(this, p);
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            if (r instanceof Request.Tokens t) {
                save(engine, t.name(), t.listed() ? t : null, out);
            } else {
                save(engine, ((Request.Named) r).name(), null, out);
            }
        }

        private void save(Engine engine, String name, Request.Tokens listed, ResponseWriter out) {
            if (!persistence.tryBeginSave(name)) {
                error(out, Status.SAVE_ERROR, "a save of dataset '" + name + "' is already in progress");
                return;
            }
            CompletableFuture<DatasetJobs.Saved> saving = sessions
                    ? DatasetJobs.saveSessions(engine, persistence, loop, name, listed) // null: every session
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
    }

    /**
     * SH_LOAD {name} (adds the saved sessions whose tokens are not in use) and KV_LOAD {name} (sets every saved
     * key, overwriting): one command but for the kind of dataset. The answer is deferred until the load is applied
     * (and durable, with a journal that waits for its fsync).
     */
    static final class Load extends PersistCommand {
        private final int kind;

        Load(String name, int kind, Persistence persistence, CommandLoop loop) {
            super(name, persistence, loop);
            this.kind = kind;
        }

        @Override
        public Request request(Params p) {
            return new Request.Named(this, p);
        }

        @Override
        public void execute(Engine engine, Request r, ResponseWriter out) {
            String name = ((Request.Named) r).name();
            if (persistence == null) {
                error(out, Status.LOAD_ERROR, "this server has no dataset directory");
                return;
            }
            if (!engine.journalled()) {
                out.defer(answer(name));
                return;
            }
            CompletableFuture<byte[]> response = new CompletableFuture<>();
            // the answer leaves once what the load changed is durable (persist.journal = always; else at once)
            answer(name).thenAccept(json -> loop.submit((e, o) -> e.whenDurable(() -> response.complete(json))));
            out.defer(response);
        }

        private CompletableFuture<byte[]> answer(String name) {
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
}
